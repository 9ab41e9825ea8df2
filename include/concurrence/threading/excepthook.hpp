// threading.excepthook: what happens to an exception that escapes a thread's target.
//
// Python lets users assign `threading.excepthook = hook`; C++ cannot assign to a function, so
// the hook is swapped with set_excepthook(), which returns the previous one (to restore it).
// excepthook(args) calls the hook in place, as calling Python's threading.excepthook does, and
// default_excepthook is Python's threading.__excepthook__.
//
// The default hook writes, to stderr and in one piece so that threads do not interleave:
//
//     Exception in thread Thread-1:
//     std::runtime_error: boom
//
// (Python prints a traceback between the two lines; C++ has none to give. The project's own
// exceptions lose their namespace, as Python's: "RuntimeError: boom".)
//
// The hook runs in the thread whose target threw, before the thread counts as finished.
// If the hook itself throws, "Exception in threading.excepthook:" and that exception are
// printed, and the thread ends normally: the process goes on, as in Python.
#pragma once

#include <exception>
#include <functional>

namespace concurrence::threading {

class Thread;

// Python's ExceptHookArgs. exc_type and exc_traceback have no C++ counterpart: a hook that
// wants the type rethrows exc_value and catches what it knows.
struct ExceptHookArgs {
    std::exception_ptr exc_value;
    Thread* thread = nullptr;  // the thread that raised (valid during the call); may be null
};

using ExceptHook = std::function<void(const ExceptHookArgs&)>;

// Calls the current hook.
void excepthook(const ExceptHookArgs& args);

// Installs `hook` (an empty function restores the default) and returns the previous hook.
ExceptHook set_excepthook(ExceptHook hook);

// The hook in place at start (Python's threading.__excepthook__).
void default_excepthook(const ExceptHookArgs& args);

}  // namespace concurrence::threading

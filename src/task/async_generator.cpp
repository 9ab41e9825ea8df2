// Async generators: the step protocol, the finalizer and loop.shutdown_asyncgens().
#include "concurrence/task/async_generator.hpp"

#include <cstdint>
#include <cstdio>

#include "concurrence/task/task.hpp"

namespace concurrence::asyncio {
namespace detail {

void throw_stop_async_iteration() { throw StopAsyncIteration(); }
void throw_moved_from_generator() { throw RuntimeError("cannot use a moved-from async generator"); }

bool AsyncGenCore::step_ready(GenStep kind, std::exception_ptr& thrown) {
    if (gen_state_ == GenState::running) {
        throw RuntimeError(kind == GenStep::send     ? "anext(): asynchronous generator is already running"
                           : kind == GenStep::athrow ? "athrow(): asynchronous generator is already running"
                                                     : "aclose(): asynchronous generator is already running");
    }
    if (kind == GenStep::aclose) thrown = std::make_exception_ptr(GeneratorExit());
    if (gen_state_ == GenState::finished) return true;
    if (gen_state_ == GenState::created && kind != GenStep::send) {
        // Python throws in before the first line: the body never runs, the generator is over.
        gen_state_ = GenState::finished;
        if (kind == GenStep::athrow) error_ = thrown;
        return true;
    }
    return false;
}

void AsyncGenCore::step_start(std::coroutine_handle<> consumer, TaskCore* consumer_promise, unsigned line,
                              std::exception_ptr thrown) noexcept {
    // Python's firstiter hook: the running loop will close it at shutdown.
    if (gen_state_ == GenState::created) {
        if (EventLoop* loop = running_loop_or_null(); loop && !loop->is_closed()) {
            loop_ = loop;
            loop->asyncgen_registry().add(*this);
        }
    }
    gen_state_ = GenState::running;
    thrown_in_ = std::move(thrown);
    resume_point_ = consumer;
    if (consumer_promise) consumer_promise->set_awaiting(this, line);
    t_next_resume = frame_;  // run the body next, on the trampoline
}

void AsyncGenCore::step_end(TaskCore* consumer_promise) noexcept {
    if (consumer_promise) consumer_promise->set_awaiting(nullptr);
}

void AsyncGenCore::rethrow_error() {
    if (error_) std::rethrow_exception(std::exchange(error_, nullptr));
}

void AsyncGenCore::finish_close() {
    std::exception_ptr e = std::exchange(error_, nullptr);
    if (e && !exception_is<GeneratorExit>(e)) std::rethrow_exception(e);
}

void AsyncGenCore::body_failed(std::exception_ptr e) noexcept {
    // PEP 479's rule for async generators: a StopAsyncIteration escaping the body would end the
    // consumer's loop silently.
    if (exception_is<StopAsyncIteration>(e))
        e = std::make_exception_ptr(RuntimeError("async generator raised StopAsyncIteration"));
    error_ = std::move(e);
}

std::string AsyncGenCore::repr() const {
    char address[32];
    std::snprintf(address, sizeof address, "%p", static_cast<const void*>(this));
    return "<async_generator object " + function_name() + " at " + address + ">";
}

// The closing task's hold on the generator: released when aclose() is over, or when the task
// is dropped without running (a loop closed first).
class ClosingRef {
public:
    explicit ClosingRef(AsyncGenCore* g) : g_(g) {}
    ClosingRef(ClosingRef&& o) noexcept : g_(std::exchange(o.g_, nullptr)) {}
    ClosingRef& operator=(ClosingRef&&) = delete;
    ~ClosingRef() { reset(); }
    AsyncGenCore* get() const { return g_; }
    void reset() {
        if (!g_) return;
        AsyncGenCore* g = std::exchange(g_, nullptr);
        g->closer_ = nullptr;
        g->release();
    }

private:
    AsyncGenCore* g_;
};

namespace {
Coro<void> close_generator(ClosingRef ref) {
    std::exception_ptr error;
    try {
        co_await GenStepAwaiter<AsyncGenCore, GenStep::aclose, void>(ref.get());
    } catch (...) {
        error = std::current_exception();
    }
    // Closed, or not closable (it ignored GeneratorExit): shutdown_asyncgens leaves it alone.
    ref.get()->unlink();
    ref.reset();
    if (error) std::rethrow_exception(error);
}
}  // namespace

TaskRef AsyncGenCore::closer() {
    if (!closer_) {
        finalized_ = true;
        add_ref();
        Task<void> task = loop_->create_task(close_generator(ClosingRef(this)));
        closer_ = task.core();
    }
    return TaskRef(closer_);
}

void AsyncGenCore::destroy() {
    // Python's finalizer hook: a generator dropped at a `co_yield` is closed in a task, so that a
    // cleanup that awaits runs (linked: its loop is alive and not closed).
    if (gen_state_ == GenState::at_yield && linked() && !finalized_ && running_loop_or_null() == loop_) {
        closer();
        return;
    }
    AsyncGenNode::unlink();
    destroy_frame(frame_);
}

}  // namespace detail

Coro<void> EventLoop::shutdown_asyncgens() {
    // Every generator still open gets aclose() in a task of its own (or keeps the one its
    // finalizer started), all at once, as Python's gather of aclose() calls.
    std::vector<std::pair<TaskRef, std::string>> closing;
    for (detail::AsyncGenNode* node : asyncgens_.snapshot()) {
        detail::AsyncGenCore& gen = detail::AsyncGenCore::from_node(*node);
        closing.emplace_back(gen.closer(), gen.repr());
    }
    for (auto& [task, name] : closing) {
        co_await task;
        if (task.cancelled()) continue;
        if (std::exception_ptr e = task.core()->exception_or_null())
            call_exception_handler({"an error occurred during closing of asynchronous generator " + name, e});
    }
}

}  // namespace concurrence::asyncio

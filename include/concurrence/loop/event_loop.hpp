// asyncio's event loop: one per thread, a FIFO of ready callbacks and task steps, timers,
// and an I/O poller (epoll) that also wakes the loop when another thread hands it work.
//
// One iteration (Python's BaseEventLoop._run_once, same order):
//   1. wait for I/O, at most until the earliest timer (not at all if something is ready);
//   2. take what other threads sent (call_soon_threadsafe);
//   3. move every due timer, in (deadline, scheduling order), to the ready queue;
//   4. run what was ready when the iteration began; what they schedule waits for the next one.
// That is the only place where callbacks and task steps are actually run: everything else
// only adds them to the ready queue.
//
// Thread safety: every member is for the loop's own thread, except call_soon_threadsafe.
#pragma once

#include <atomic>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "concurrence/base/call_site.hpp"
#include "concurrence/base/errors.hpp"
#include "concurrence/base/timeout.hpp"
#include "concurrence/loop/backend.hpp"
#include "concurrence/loop/handle.hpp"
#include "concurrence/loop/runnable.hpp"
#include "concurrence/contextvars/contextvars.hpp"
#include "concurrence/loop/asyncgen_registry.hpp"
#include "concurrence/loop/task_registry.hpp"

namespace concurrence::futures {
class ThreadPoolExecutor;
}
namespace concurrence::io {
class Poller;
}
namespace concurrence::net {
class Socket;
struct Address;
struct AddrInfo;
struct ConnectionOptions;
struct ServerOptions;
struct DatagramOptions;
struct StartTLSOptions;
struct AcceptedSocketOptions;
}  // namespace concurrence::net
namespace concurrence::ssl {
class SSLContext;
}

namespace concurrence::asyncio {

class EventLoop;
class Transport;
class Protocol;

namespace detail {

// How other threads reach a loop when they may outlive it (executor workers, bridges): a post
// to a loop that is closed or gone is refused, never undefined behaviour.
class LoopPostbox {
public:
    explicit LoopPostbox(EventLoop* loop) : loop_(loop) {}
    // Posts callback as call_soon_threadsafe does; false (callback untouched) if the loop is
    // closed or destroyed.
    template <class F>
    bool call_soon_threadsafe(F&& callback);

private:
    friend class concurrence::asyncio::EventLoop;
    std::mutex mutex_;
    EventLoop* loop_;  // null once the loop is closed
};

// What owns a descriptor on the loop (a transport): told when the loop closes with it still
// open, so that it lets go of the descriptor and of itself (Python leaves such transports to
// the garbage collector, which closes their sockets).
class FdOwner {
public:
    virtual void loop_closing() noexcept = 0;

protected:
    ~FdOwner() = default;
};

// close() shuts the default executor down without waiting (Python's executor.shutdown(
// wait=False)); defined in the bridge layer, so that the loop layer knows no executor.
void shutdown_without_waiting(futures::ThreadPoolExecutor& executor) noexcept;

}  // namespace detail

template <class T>
class Coro;
template <class T>
class Task;
class Server;
template <class T>
class Future;

namespace detail {
template <class R>
inline constexpr bool is_coro_v = false;
template <class T>
inline constexpr bool is_coro_v<Coro<T>> = true;
}  // namespace detail

// What went wrong, for the loop's exception handler (Python passes a dict).
// Python's loop.set_task_factory: how create_task starts a task. `eager` is Python 3.12's
// eager_task_factory: the first step runs at once, inside create_task, and a task that
// finishes without suspending never goes through the ready queue.
enum class TaskFactory : std::uint8_t { standard, eager };
inline constexpr TaskFactory eager_task_factory = TaskFactory::eager;

struct ExceptionContext {
    ExceptionContext(std::string message_, std::exception_ptr exception_ = nullptr, std::string future_ = {})
        : message(std::move(message_)), exception(std::move(exception_)), future(std::move(future_)) {}
    std::string message;
    std::exception_ptr exception;
    // Python's context['future'] / context['task']: the repr of the future or task concerned,
    // e.g. "<Task finished name='worker' exception=ValueError('boom')>"; empty if none.
    std::string future;
};

class EventLoop {
public:
    using ExceptionHandler = std::function<void(EventLoop&, const ExceptionContext&)>;

    // The I/O backend (concurrence/loop/backend.hpp): epoll unless asked otherwise.
    explicit EventLoop(Backend backend = Backend::automatic);
    ~EventLoop();
    EventLoop(const EventLoop&) = delete;
    EventLoop& operator=(const EventLoop&) = delete;

    // ---- running and stopping
    void run_forever();
    // Runs until the task or coroutine is done; returns its result or throws its exception.
    template <class T>
    T run_until_complete(Task<T> task);
    template <class T>
    T run_until_complete(Coro<T> coro);
    void stop();
    bool is_running() const { return running_; }
    // "io_uring" or "epoll".
    std::string_view backend_name() const;
    bool is_closed() const { return closed_.load(std::memory_order_relaxed); }
    // Closes the loop; pending callbacks are dropped. Throws RuntimeError if it is running.
    void close();

    // ---- time: monotonic seconds, the clock of call_at and of every timeout
    double time() const { return static_cast<double>(now_ns()) / 1e9; }

    // ---- callbacks
    template <class F>
    Handle call_soon(F&& callback) {
        check_open();
        if (debug_) [[unlikely]] check_thread();
        detail::HandleCore* h = new_handle(std::forward<F>(callback));
        h->add_ref();  // one for the ready queue, one for the returned Handle
        schedule(h);
        return Handle(h);
    }
    // Python's call_soon(callback, context=ctx): callback runs in ctx itself (not a copy).
    template <class F>
    Handle call_soon(F&& callback, const contextvars::Context& context) {
        return call_soon(in_context(std::forward<F>(callback), context));
    }
    template <class F>
    TimerHandle call_later(Delay delay, F&& callback) {
        return call_at_ns(now_ns() + delay.nanoseconds(), std::forward<F>(callback));  // negative: in the past, as Python
    }
    template <class F>
    TimerHandle call_later(Delay delay, F&& callback, const contextvars::Context& context) {
        return call_later(delay, in_context(std::forward<F>(callback), context));
    }
    template <class F>
    TimerHandle call_at(double when, F&& callback) {
        return call_at_ns(seconds_to_ns(when), std::forward<F>(callback));
    }
    template <class F>
    TimerHandle call_at(double when, F&& callback, const contextvars::Context& context) {
        return call_at(when, in_context(std::forward<F>(callback), context));
    }
    // The only thread-safe member: runs callback on the loop's thread, waking it if needed.
    template <class F>
    Handle call_soon_threadsafe(F&& callback) {
        check_open();
        detail::HandleCore* h = new_handle(std::forward<F>(callback));
        h->add_ref();
        post_threadsafe(h);
        return Handle(h);
    }

    // Python's call_soon_threadsafe(callback, context=ctx): callback runs in ctx itself.
    template <class F>
    Handle call_soon_threadsafe(F&& callback, const contextvars::Context& context) {
        return call_soon_threadsafe(in_context(std::forward<F>(callback), context));
    }

    // For the layers above: call_soon_threadsafe without a Handle. The loop holds the only
    // reference, so the callback is destroyed on the loop's thread (after it ran, or when
    // close() drops it), never by the poster. False, callback untouched, if the loop is closed.
    template <class F>
    bool call_soon_threadsafe_unhandled(F&& callback) {
        return post_if_open([&]() -> detail::HandleCore* { return new_handle(std::forward<F>(callback)); });
    }

    // ---- watching file descriptors (Python's add_reader & co.)
    // callback runs on the loop each iteration while fd is readable (writable), until removed;
    // adding again replaces the callback. Throws RuntimeError if a transport owns fd, and
    // OSError if the descriptor cannot be watched (e.g. EBADF, or EPERM for a regular file).
    template <class F>
    void add_reader(int fd, F&& callback) {
        check_open();
        set_fd_callback(fd, false, new_handle(std::forward<F>(callback)));
    }
    template <class F>
    void add_writer(int fd, F&& callback) {
        check_open();
        set_fd_callback(fd, true, new_handle(std::forward<F>(callback)));
    }
    // True if a callback was registered.
    bool remove_reader(int fd) { return clear_fd_callback(fd, false); }
    bool remove_writer(int fd) { return clear_fd_callback(fd, true); }

    // ---- Unix signals (Python's loop.add_signal_handler; src/loop/signal_handlers.cpp)
    // callback() runs on the loop's thread soon after sig arrives, never inside the signal
    // handler itself; adding again replaces it. ValueError for a number that is no signal,
    // RuntimeError for one that cannot be caught (SIGKILL, SIGSTOP). Unlike Python (main
    // thread only), any thread's loop may add handlers: a signal reaches every loop that asked
    // for it. The last loop to remove a signal's handler (or to close) puts back the action
    // the process had before. Loop thread only.
    template <class F>
    void add_signal_handler(int sig, F&& callback) {
        static_assert(!detail::is_coro_v<std::invoke_result_t<std::decay_t<F>&>>,
                      "coroutines cannot be used with add_signal_handler()");
        check_signal(sig);
        check_open();
        set_signal_handler(sig, new_handle(std::forward<F>(callback)));
    }
    // True if a handler was removed.
    bool remove_signal_handler(int sig);

    // ---- sockets (defined in the net layer, concurrence/net/sock_ops.hpp). The socket must
    // be non-blocking (ValueError otherwise) and outlive the operation. Errors are OSError's
    // subclasses; cancelling the awaiting task stops watching the socket and leaves it usable.
    Coro<std::string> sock_recv(net::Socket& sock, std::size_t nbytes);
    Coro<std::size_t> sock_recv_into(net::Socket& sock, std::span<char> buffer);
    Coro<std::pair<std::string, net::Address>> sock_recvfrom(net::Socket& sock, std::size_t bufsize);
    // (bytes received, sender): one datagram of up to nbytes (0: the buffer's size) into buffer.
    Coro<std::pair<std::size_t, net::Address>> sock_recvfrom_into(net::Socket& sock, std::span<char> buffer,
                                                                  std::size_t nbytes = 0);
    Coro<void> sock_sendall(net::Socket& sock, std::string data);
    Coro<std::size_t> sock_sendto(net::Socket& sock, std::string data, net::Address address);
    Coro<void> sock_connect(net::Socket& sock, net::Address address);
    Coro<std::pair<net::Socket, net::Address>> sock_accept(net::Socket& sock);
    // Python's loop.sock_sendfile: sends `count` bytes (all, if none) of the open file `file`
    // from `offset` with the system's sendfile, or by reading and sending if that is not
    // available (SendfileNotAvailableError if `fallback` is false). Returns the bytes sent and
    // leaves the file's position after them.
    Coro<std::size_t> sock_sendfile(net::Socket& sock, int file, std::int64_t offset = 0,
                                    std::optional<std::int64_t> count = std::nullopt, bool fallback = true);
    // Python's loop.getaddrinfo / getnameinfo: the blocking calls, in the default executor.
    Coro<std::vector<net::AddrInfo>> getaddrinfo(std::string host, std::string port, int family = 0, int type = 0,
                                                 int proto = 0, int flags = 0);
    Coro<std::vector<net::AddrInfo>> getaddrinfo(std::string host, int port, int family = 0, int type = 0,
                                                 int proto = 0, int flags = 0);
    Coro<std::pair<std::string, std::string>> getnameinfo(net::Address address, int flags = 0);

    // ---- transports and protocols (defined in the net layer, concurrence/net/endpoints.hpp)
    template <class ProtocolFactory>
    auto create_connection(ProtocolFactory factory, std::string host, int port, net::ConnectionOptions options);
    template <class ProtocolFactory>
    auto create_connection(ProtocolFactory factory, std::string host, int port);
    template <class ProtocolFactory>
    auto create_unix_connection(ProtocolFactory factory, std::string path, net::ConnectionOptions options);
    template <class ProtocolFactory>
    auto create_unix_connection(ProtocolFactory factory, std::string path);
    // A transport for a stream socket accepted outside the loop: (transport, protocol).
    template <class ProtocolFactory>
    auto connect_accepted_socket(ProtocolFactory factory, net::Socket sock);
    // With Python's ssl=, ssl_handshake_timeout=, ssl_shutdown_timeout= (this side is TLS's server).
    template <class ProtocolFactory>
    auto connect_accepted_socket(ProtocolFactory factory, net::Socket sock, net::AcceptedSocketOptions options);
    // Python's connect_read_pipe / connect_write_pipe: (transport, protocol) over one end of a
    // pipe, a FIFO, a socket or a character device (a terminal), made non-blocking. The
    // transport owns `pipe` and closes it at the end (Python closes the pipe object): pass
    // ::dup(STDIN_FILENO) to keep stdin. Before the transport exists (ValueError for another
    // kind of file, OSError for a bad descriptor, the factory's exception), `pipe` is left
    // alone. The half an end does not have throws NotImplementedError (write() on a read pipe).
    template <class ProtocolFactory>
    auto connect_read_pipe(ProtocolFactory factory, int pipe);
    template <class ProtocolFactory>
    auto connect_write_pipe(ProtocolFactory factory, int pipe);
    // Python's loop.sendfile(transport, file, offset, count, fallback): sends `count` bytes
    // (all, if none) of the open file `file` from `offset` over a stream socket transport,
    // after what its buffer holds, with the system's sendfile (or, if the file is not one it
    // reads, by reading and writing, unless `fallback` is false: SendfileNotAvailableError).
    // Reading is paused meanwhile, and write() refused. Returns the bytes sent and leaves the
    // file's position after them. Other transports: RuntimeError("sendfile is not supported
    // for transport ..."). Defined in the net layer.
    Coro<std::size_t> sendfile(Transport& transport, int file, std::int64_t offset = 0,
                               std::optional<std::int64_t> count = std::nullopt, bool fallback = true);
    // Python's loop.start_tls(transport, protocol, sslcontext, server_side=, server_hostname=,
    // ssl_handshake_timeout=, ssl_shutdown_timeout=): TLS on an open stream socket transport
    // (e.g. after a STARTTLS command). Returns the new transport once the handshake is done;
    // `protocol` (the transport's protocol) is then connected to it, and `transport` must not
    // be used any more. Another kind of transport: TypeError("transport ... is not supported by
    // start_tls()"). Defined in the net layer.
    Coro<std::shared_ptr<Transport>> start_tls(Transport& transport, std::shared_ptr<Protocol> protocol,
                                               ssl::SSLContext sslcontext, net::StartTLSOptions options);
    Coro<std::shared_ptr<Transport>> start_tls(Transport& transport, std::shared_ptr<Protocol> protocol,
                                               ssl::SSLContext sslcontext);
    template <class ProtocolFactory>
    Coro<Server> create_server(ProtocolFactory factory, std::string host, int port, net::ServerOptions options);
    template <class ProtocolFactory>
    Coro<Server> create_server(ProtocolFactory factory, std::string host, int port);
    template <class ProtocolFactory>
    Coro<Server> create_unix_server(ProtocolFactory factory, std::string path, net::ServerOptions options);
    template <class ProtocolFactory>
    Coro<Server> create_unix_server(ProtocolFactory factory, std::string path);
    // (transport, protocol) of a UDP or AF_UNIX datagram endpoint; the factory returns a
    // std::shared_ptr to an asyncio::DatagramProtocol subclass.
    template <class ProtocolFactory>
    auto create_datagram_endpoint(ProtocolFactory factory, net::DatagramOptions options);

    // ---- tasks and futures (defined in the task layer)
    // With the eager factory, the new task's first step runs inside create_task. In debug
    // mode, the task remembers `where` it was created, for its reports.
    template <class T>
    Task<T> create_task(Coro<T> coro, std::string_view name = {}, CallSite where = CallSite());
    // Python's create_task(coro, name=, context=ctx): the task runs in ctx itself (not a copy):
    // what it sets is seen in ctx.
    template <class T>
    Task<T> create_task(Coro<T> coro, std::string_view name, contextvars::Context context, CallSite where = CallSite());
    void set_task_factory(TaskFactory factory) { task_factory_ = factory; }
    TaskFactory get_task_factory() const { return task_factory_; }
    template <class T = void>
    Future<T> create_future();

    // ---- threads (defined in the bridge layer, concurrence/bridge/)
    // Python's loop.run_in_executor(None | executor, func, *args): func(args...) runs in the
    // executor (None: the loop's default ThreadPoolExecutor, made on first use); the returned
    // asyncio::Future gets its outcome, and cancelling that future cancels the call if it has
    // not started. Throws RuntimeError "Executor shutdown has been called" once
    // shutdown_default_executor() ran.
    template <class F, class... Args>
    auto run_in_executor(std::nullptr_t, F&& func, Args&&... args);
    template <class Executor, class F, class... Args>
    auto run_in_executor(Executor& executor, F&& func, Args&&... args);
    // The executor run_in_executor(nullptr, ...) uses from now on; the loop shuts it down.
    void set_default_executor(std::shared_ptr<futures::ThreadPoolExecutor> executor);
    // Python's coroutine loop.shutdown_default_executor(timeout): shuts the default executor
    // down, waiting for its threads (the loop goes on running meanwhile). asyncio::run calls it.
    Coro<void> shutdown_default_executor(std::optional<Delay> timeout = std::nullopt);
    // Python's coroutine loop.shutdown_asyncgens(): aclose() on every async generator first
    // iterated on this loop and still open, concurrently; their errors go to the exception
    // handler. asyncio::run calls it. Defined in the task layer (task/async_generator.hpp).
    Coro<void> shutdown_asyncgens();

    // ---- debug mode (Python's loop.set_debug; CONCURRENCE_DEBUG=1 turns it on for new loops)
    // In debug mode: a callback or task step that holds the loop longer than
    // slow_callback_duration is reported through the exception handler ("Executing <Task
    // pending name='Task-1' coro=<main() running at main.cpp:12>> took 0.250 seconds"); the
    // loop-only methods (call_soon, call_later, call_at, create_task) called from another
    // thread while the loop runs throw RuntimeError; never-awaited coroutines are reported.
    void set_debug(bool enabled) { debug_ = enabled; }
    bool get_debug() const { return debug_; }
    // Python's loop.slow_callback_duration (seconds; 0.1 by default).
    double slow_callback_duration() const { return static_cast<double>(slow_callback_ns_) / 1e9; }
    void set_slow_callback_duration(Delay duration);

    // ---- errors in callbacks and forgotten tasks
    void set_exception_handler(ExceptionHandler handler) { exception_handler_ = std::move(handler); }
    const ExceptionHandler& get_exception_handler() const { return exception_handler_; }
    void call_exception_handler(const ExceptionContext& context);
    static void default_exception_handler(const ExceptionContext& context);

    // ---- for the layers above (tasks, sleep, sync): not for users
    // Unique per loop in the process (a loop later created at the same address has another).
    std::uint64_t serial() const { return serial_; }
    void schedule(detail::Runnable* r) {
        // Python appends call_soon_threadsafe's callbacks to the ready queue at once: take them
        // in before anything scheduled after them.
        if (posted_pending_.load(std::memory_order_acquire)) take_posted();
        ready_.push(r);
    }
    std::int64_t now_ns() const;
    // Arms a timer that will call target->timer_fired(seq) at `when_ns` (loop clock, ns) and
    // takes one reference on the target for it. Returns the timer's sequence number.
    std::uint64_t add_timer(std::int64_t when_ns, detail::Runnable* target);
    // A timer was cancelled and is now stale: lets the heap compact itself when half stale.
    void note_timer_cancelled();
    detail::TaskRegistry& task_registry() { return tasks_; }
    detail::AsyncGenRegistry& asyncgen_registry() { return asyncgens_; }
    void check_open() const {
        if (closed_.load(std::memory_order_relaxed)) throw RuntimeError("Event loop is closed");
    }
    // Throws Python's errors for running a loop that is running, or inside another loop.
    void check_can_run() const;
    // Debug mode: RuntimeError if the loop runs in another thread (Python's _check_thread).
    void check_thread() const;
    static std::int64_t seconds_to_ns(double when);
    // For other threads that may outlive the loop (see LoopPostbox); made with the loop.
    const std::shared_ptr<detail::LoopPostbox>& postbox() const { return postbox_; }
    // The default executor (null until first needed) and whether it was shut down.
    std::shared_ptr<futures::ThreadPoolExecutor>& default_executor() { return default_executor_; }
    bool executor_shutdown_called() const { return executor_shutdown_called_; }
    void set_executor_shutdown_called() { executor_shutdown_called_ = true; }
    // Async-signal-safe: asks the loop to call the interrupt callback on its thread, soon.
    // (asyncio::Runner turns SIGINT into the cancellation of its main task this way.)
    void interrupt_from_signal() noexcept;
    void set_interrupt_callback(std::function<void()> callback) { interrupt_callback_ = std::move(callback); }
    // Async-signal-safe: sig arrived; the loop runs its handler soon (src/loop/signal_hub).
    void signal_from_handler(int sig) noexcept;
    // The I/O backend, for the transports (net layer).
    io::Poller& poller();
    // A transport owns fd from now on (add_reader on it is refused) / no longer.
    void claim_fd(int fd, detail::FdOwner* owner);
    void release_fd(int fd) noexcept;
    // Throws Python's RuntimeError if a transport owns fd.
    void ensure_fd_no_transport(int fd) const;

private:
    // A handle for callback, which runs in the context current now (Python's Handle captures
    // copy_context() when made).
    template <class F>
    static auto in_context(F&& callback, const contextvars::Context& context) {
        contextvars::detail::t_contexts_used = true;  // handles made inside must copy it
        return contextvars::detail::RunInContext<std::decay_t<F>>{context.data(), std::forward<F>(callback)};
    }
    template <class F>
    static detail::HandleCore* new_handle(F&& callback) {
        return contextvars::detail::with_current_context(std::forward<F>(callback), [](auto&& cb) -> detail::HandleCore* {
            return new detail::HandleImpl<std::decay_t<decltype(cb)>>(std::forward<decltype(cb)>(cb));
        });
    }
    template <class F>
    TimerHandle call_at_ns(std::int64_t when_ns, F&& callback) {
        check_open();
        if (debug_) [[unlikely]] check_thread();
        detail::HandleCore* h = new_handle(std::forward<F>(callback));
        h->when_ns = when_ns;
        h->loop = this;
        h->is_timer = true;
        h->add_ref();  // one for the timer, one for the returned TimerHandle
        add_timer(when_ns, h);
        return TimerHandle(h);
    }
    void post_threadsafe(detail::HandleCore* h);
    void set_fd_callback(int fd, bool writer, detail::HandleCore* h);
    static void check_signal(int sig);
    void set_signal_handler(int sig, detail::HandleCore* h);
    void dispatch_signals();
    void remove_all_signal_handlers() noexcept;
    bool clear_fd_callback(int fd, bool writer);
    bool post_if_open(const std::function<detail::HandleCore*()>& make);
    void take_posted();
    struct Engine;  // timers, poller, cross-thread queue (src/loop)
    // One iteration (the engine's poller passed in: it never changes while the loop runs).
    [[gnu::always_inline]] inline void run_once(Engine& e, const io::Poller& poller);
    // Step 4 of an iteration in debug mode or while a trace records: each entry timed, traced.
    void run_ready_observed();
    // Steps 1-3 of an iteration: I/O, posted callbacks, due timers.
    void collect_events(Engine& e);

    std::unique_ptr<Engine> engine_;
    detail::ReadyQueue ready_;
    std::shared_ptr<detail::LoopPostbox> postbox_;
    std::shared_ptr<futures::ThreadPoolExecutor> default_executor_;
    bool executor_shutdown_called_ = false;
    detail::TaskRegistry tasks_;  // pending tasks (all_tasks, cancelling leftovers)
    detail::AsyncGenRegistry asyncgens_;  // async generators to close at shutdown
    ExceptionHandler exception_handler_;
    std::function<void()> interrupt_callback_;
    std::atomic<bool> interrupt_pending_{false};
    std::atomic<std::uint64_t> signals_pending_{0};  // bit sig-1: sig arrived
    TaskFactory task_factory_ = TaskFactory::standard;
    const std::uint64_t serial_;
    std::int64_t slow_callback_ns_ = 100'000'000;
    bool debug_;
    bool running_ = false;
    std::atomic<bool> running_in_a_thread_{false};  // running_, for check_thread() in other threads
    bool stopping_ = false;
    std::atomic<bool> closed_{false};
    std::atomic<bool> posted_pending_{false};  // call_soon_threadsafe left something to take
};

template <class F>
bool detail::LoopPostbox::call_soon_threadsafe(F&& callback) {
    std::lock_guard guard(mutex_);
    return loop_ && loop_->call_soon_threadsafe_unhandled(std::forward<F>(callback));
}

// The loop running in this thread; throws RuntimeError("no running event loop") if none.
EventLoop& get_running_loop();
namespace detail {
// The loop running in this thread, and its serial (0: none). Inline: every lock and queue
// operation checks the serial.
[[gnu::tls_model("initial-exec")]] inline thread_local EventLoop* t_running_loop = nullptr;
[[gnu::tls_model("initial-exec")]] inline thread_local std::uint64_t t_running_serial = 0;
}  // namespace detail

// The loop running in this thread, or nullptr.
inline EventLoop* running_loop_or_null() noexcept { return detail::t_running_loop; }

}  // namespace concurrence::asyncio

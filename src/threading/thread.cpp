// threading::Thread: a handle on a ThreadState, owning (joins or detaches at the end) or a view.
#include "concurrence/threading/thread.hpp"

#include "threading/current.hpp"
#include "threading/thread_state.hpp"

namespace concurrence::threading {

namespace {

std::shared_ptr<detail::ThreadState> make_state(Thread::Options options, std::unique_ptr<detail::Target> target) {
    // CPython's order: the name is drawn from the counter before current_thread() may create a
    // dummy (which draws from the same counter).
    std::string name = options.name.empty() ? detail::new_name("Thread-") : std::move(options.name);
    const bool daemon = options.daemon ? *options.daemon : current_thread().daemon();
    return std::make_shared<detail::ThreadState>(std::move(name), daemon, std::move(target));
}

}  // namespace

namespace {
// Thread(..., {.context = ctx}): the target runs inside ctx.run().
class TargetInContext final : public detail::Target {
public:
    TargetInContext(contextvars::Context context, std::unique_ptr<detail::Target> inner)
        : context_(std::move(context)), inner_(std::move(inner)) {}
    void run() override {
        context_.run([this] { inner_->run(); });
    }

private:
    contextvars::Context context_;
    std::unique_ptr<detail::Target> inner_;
};

std::unique_ptr<detail::Target> in_context(std::optional<contextvars::Context>& context, std::unique_ptr<detail::Target> target) {
    if (!context) return target;
    return std::make_unique<TargetInContext>(std::move(*context), std::move(target));
}
}  // namespace

Thread::Thread(Options options, std::unique_ptr<detail::Target> target) : owner_(true) {
    target = in_context(options.context, std::move(target));
    state_ = make_state(std::move(options), std::move(target));
}

Thread::Thread(std::shared_ptr<detail::ThreadState> state, bool owner) noexcept
    : state_(std::move(state)), owner_(owner) {}

Thread::Thread(Thread&& other) noexcept : state_(std::move(other.state_)), owner_(other.owner_) {
    other.owner_ = false;
}

Thread& Thread::operator=(Thread&& other) noexcept {
    if (this != &other) {
        let_go();
        state_ = std::move(other.state_);
        owner_ = other.owner_;
        other.owner_ = false;
    }
    return *this;
}

Thread::~Thread() { let_go(); }

void Thread::let_go() noexcept {
    if (owner_ && state_) state_->let_go();
    state_.reset();
    owner_ = false;
}

detail::ThreadState& Thread::state() const {
    if (!state_) throw RuntimeError("thread.__init__() not called");
    return *state_;
}

void Thread::start() { state().start(state_); }
void Thread::join() { state().join(std::nullopt); }
void Thread::join(Delay timeout) { state().join(timeout); }
bool Thread::is_alive() const { return state().is_alive(); }
std::string Thread::name() const { return state().name(); }
void Thread::set_name(std::string name) { state().set_name(std::move(name)); }
bool Thread::daemon() const { return state().daemon(); }
void Thread::set_daemon(bool daemonic) { state().set_daemon(daemonic); }
std::optional<unsigned long> Thread::ident() const { return state().ident(); }
std::optional<unsigned long> Thread::native_id() const { return state().native_id(); }

}  // namespace concurrence::threading

#include "concurrence/task/future_core.hpp"

#include <algorithm>
#include <atomic>

#include "base/describe_exception.hpp"

namespace concurrence::asyncio::detail {

FutureBase::~FutureBase() { delete extra_; }

FutureExtra& FutureBase::extra() {
    if (!extra_) extra_ = new FutureExtra;
    return *extra_;
}

const std::string& FutureBase::cancel_message() const {
    static const std::string empty;
    return extra_ ? extra_->cancel_message : empty;
}

void FutureBase::add_waiter(FutureBase* waiter) {
    if (!waiter_ && !(flags_ & more_callbacks_flag)) {
        waiter_ = waiter;
        return;
    }
    extra().more_callbacks.push_back({waiter, nullptr});
    flags_ |= more_callbacks_flag;
}

bool FutureBase::remove_waiter(FutureBase* waiter) {
    if (waiter_ == waiter) {
        waiter_ = nullptr;
        return true;
    }
    if (!(flags_ & more_callbacks_flag)) return false;
    auto& more = extra_->more_callbacks;
    auto it = std::find_if(more.begin(), more.end(), [&](const DoneCallback& cb) { return cb.waiter == waiter; });
    if (it == more.end()) return false;
    more.erase(it);
    if (more.empty()) flags_ &= static_cast<std::uint8_t>(~more_callbacks_flag);
    return true;
}

std::string FutureBase::repr() const {
    std::string out = "<";
    out += kind();
    switch (state_) {
        case FutureState::pending: out += " pending"; break;
        case FutureState::cancelled: out += " cancelled"; break;
        case FutureState::finished: out += " finished"; break;
        case FutureState::failed:
            out += " finished exception=" + concurrence::detail::exception_repr(stored_exception());
            break;
    }
    return out + ">";
}

namespace {
// Ids name registrations process-wide, so an old id never removes a later registration.
std::atomic<std::uint64_t> user_callback_ids{0};
}  // namespace

std::uint64_t FutureBase::add_user_callback(std::function<void()> fn, void (*function)()) {
    const std::uint64_t id = user_callback_ids.fetch_add(1, std::memory_order_relaxed) + 1;
    // Python: a done callback runs in the context add_done_callback was called in.
    if (contextvars::detail::t_contexts_used) [[unlikely]]
        fn = contextvars::detail::RunInContext<std::function<void()>>{contextvars::detail::copy_current(), std::move(fn)};
    if (done()) {  // Python: scheduled with call_soon right away
        loop_->call_soon(std::move(fn));
        return id;
    }
    auto& owned = extra().user_callbacks;
    owned.push_back(std::make_unique<UserCallback>(UserCallback{id, function, std::move(fn)}));
    extra_->more_callbacks.push_back({nullptr, owned.back().get()});
    flags_ |= more_callbacks_flag;
    return id;
}

std::size_t FutureBase::remove_user_callbacks(std::uint64_t id, void (*function)()) {
    if (done() || !(flags_ & more_callbacks_flag)) return 0;
    const auto matches = [&](const UserCallback& cb) {
        return function ? cb.function == function : cb.id == id;
    };
    auto& more = extra_->more_callbacks;
    const auto removed = std::erase_if(more, [&](const DoneCallback& cb) { return cb.user && matches(*cb.user); });
    std::erase_if(extra_->user_callbacks, [&](const std::unique_ptr<UserCallback>& cb) { return matches(*cb); });
    if (more.empty()) flags_ &= static_cast<std::uint8_t>(~more_callbacks_flag);
    return removed;
}

std::exception_ptr FutureBase::exception() {
    if (state_ == FutureState::pending) throw InvalidStateError("Exception is not set.");
    if (state_ == FutureState::cancelled) std::rethrow_exception(exception_or_null());
    return exception_or_null();
}

void FutureBase::throw_if_not_finished() {
    flags_ |= retrieved_flag;
    if (state_ == FutureState::pending) throw InvalidStateError("Result is not set.");
    if (state_ != FutureState::finished) std::rethrow_exception(stored_exception());
}

bool FutureBase::cancel(const std::string& message) {
    if (done()) return false;
    mark_cancelled(message);
    return true;
}

void FutureBase::mark_cancelled(const std::string& message) {
    if (!message.empty()) extra().cancel_message = message;
    set_stored_exception(std::make_exception_ptr(CancelledError(message)));
    mark_done(FutureState::cancelled);
}

void FutureBase::mark_done(FutureState s) {
    state_ = s;
    if ((waiter_ || (flags_ & more_callbacks_flag)) && !(flags_ & callbacks_queued_flag)) {
        flags_ |= callbacks_queued_flag;
        add_ref();  // the ready queue's
        loop_->schedule(this);
    }
}

void FutureBase::run_callbacks() {
    flags_ &= static_cast<std::uint8_t>(~callbacks_queued_flag);
    if (FutureBase* first = std::exchange(waiter_, nullptr)) first->on_future_done(*this);
    if (flags_ & more_callbacks_flag) {
        flags_ &= static_cast<std::uint8_t>(~more_callbacks_flag);
        std::vector<DoneCallback> more = std::move(extra_->more_callbacks);
        extra_->more_callbacks.clear();
        // Released once run (Python clears the callback list when it schedules it).
        const auto owned = std::move(extra_->user_callbacks);
        extra_->user_callbacks.clear();
        for (const DoneCallback& cb : more) {
            if (cb.waiter) {
                cb.waiter->on_future_done(*this);
                continue;
            }
            try {
                cb.user->call();
            } catch (...) {
                loop_->call_exception_handler({"Exception in callback", std::current_exception()});
            }
        }
    }
}

void FutureBase::last_release() {
    if (state_ == FutureState::failed && !(flags_ & retrieved_flag)) {
        ExceptionContext context{std::string(kind()) + " exception was never retrieved" + created_at_note(), stored_exception(),
                                 repr()};
        if (running_loop_or_null() == loop_ && loop_)
            loop_->call_exception_handler(context);
        else
            EventLoop::default_exception_handler(context);
    }
    destroy();
}

void FutureBase::run() {
    flags_ |= running_callbacks_flag;
    run_callbacks();
    flags_ &= static_cast<std::uint8_t>(~running_callbacks_flag);
    release();  // the ready queue's
}

}  // namespace concurrence::asyncio::detail

// The current context and the persistent map behind contextvars.
#include "concurrence/contextvars/contextvars.hpp"

#include <algorithm>
#include <atomic>

namespace concurrence::contextvars {
namespace detail {
namespace {

// The innermost Context::run of this thread (null: none).
thread_local ContextData* t_entered = nullptr;
// The thread's own context, outside any run() and any task.
thread_local std::shared_ptr<ContextData> t_thread_context;
std::atomic<TaskSlotHook> task_slot_hook{nullptr};

std::shared_ptr<ContextData>* task_slot(bool make) noexcept {
    const TaskSlotHook hook = task_slot_hook.load(std::memory_order_relaxed);
    return hook ? hook(make) : nullptr;
}

}  // namespace

void set_task_slot_hook(TaskSlotHook hook) noexcept { task_slot_hook.store(hook, std::memory_order_relaxed); }

ContextData* current_or_null() noexcept {
    if (t_entered) return t_entered;
    if (std::shared_ptr<ContextData>* slot = task_slot(false)) return slot->get();
    return t_thread_context.get();
}

ContextData& current() {
    if (t_entered) return *t_entered;
    std::shared_ptr<ContextData>* slot = task_slot(true);
    std::shared_ptr<ContextData>& holder = slot ? *slot : t_thread_context;
    if (!holder) holder = std::make_shared<ContextData>();
    return *holder;
}

std::shared_ptr<ContextData> copy_current_for_task() {
    const ContextData* ctx = current_or_null();
    if (!ctx || ctx->size() == 0) return nullptr;
    return ContextData::copy_of(ctx);
}

std::shared_ptr<ContextData> copy_current() {
    const ContextData* ctx = current_or_null();
    return ContextData::copy_of(ctx);
}

namespace {
const Binding* lower_bound_of(const Binding* first, const Binding* last, std::uint64_t var) noexcept {
    return std::lower_bound(first, last, var, [](const Binding& b, std::uint64_t v) { return b.var < v; });
}
}  // namespace

const Binding* find(const ContextData* ctx, std::uint64_t var) noexcept {
    if (!ctx || ctx->count == 0) return nullptr;
    const Binding* end = ctx->map.get() + ctx->count;
    const Binding* it = lower_bound_of(ctx->map.get(), end, var);
    return it != end && it->var == var ? it : nullptr;
}

void bind(ContextData& ctx, std::uint64_t var, std::shared_ptr<const void> value) {
    t_contexts_used = true;
    const Binding* old = ctx.map.get();
    const std::size_t n = ctx.count;
    const std::size_t at = static_cast<std::size_t>(lower_bound_of(old, old + n, var) - old);
    const bool present = at < n && old[at].var == var;
    const std::size_t count = value ? n + (present ? 0 : 1) : n - (present ? 1 : 0);
    if (count == 0) {
        ctx.map = nullptr;
        ctx.count = 0;
        return;
    }
    auto next = std::make_shared<Binding[]>(count);
    std::copy(old, old + at, next.get());
    std::size_t out = at;
    if (value) next[out++] = Binding{var, std::move(value)};
    std::copy(old + at + (present ? 1 : 0), old + n, next.get() + out);
    ctx.map = std::move(next);
    ctx.count = count;
}

std::uint64_t new_var_id() noexcept {
    static std::atomic<std::uint64_t> next{1};
    return next.fetch_add(1, std::memory_order_relaxed);
}

std::string address_of(const void* p) {
    char text[32];
    std::snprintf(text, sizeof text, "%p", p);
    return text;
}

Entered::Entered(std::shared_ptr<ContextData> ctx) : ctx_(std::move(ctx)), outer_(t_entered) {
    if (ctx_->entered)
        throw RuntimeError("cannot enter context: <Context object at " + address_of(ctx_.get()) + "> is already entered");
    ctx_->entered = true;
    t_entered = ctx_.get();
    if (ctx_->size() > 0) t_contexts_used = true;
}

Entered::~Entered() {
    ctx_->entered = false;
    t_entered = outer_;
}

}  // namespace detail

Context copy_context() {
    return Context(detail::ContextData::copy_of(detail::current_or_null()));
}

}  // namespace concurrence::contextvars

// Python's contextvars: values that follow the flow of control, each asyncio task in a copy of
// the context it was created in (request ids, deadlines, tracing spans, settings).
//
//   request_id = ContextVar('request_id', default='-')     contextvars::ContextVar<std::string> request_id("request_id", "-");
//   token = request_id.set('abc')                          auto token = request_id.set("abc");
//   request_id.get()                                       request_id.get()
//   request_id.reset(token)                                request_id.reset(token);
//   with request_id.set('abc'):   (3.14)                   { auto scope = request_id.scoped_set("abc"); ... }
//   ctx = copy_context(); ctx.run(f, 1)                    auto ctx = contextvars::copy_context(); ctx.run(f, 1);
//
// Where the current context is: inside Context::run, that context; in an asyncio task's step,
// the task's own (a copy of the context create_task was called in, made at that call); else
// the thread's own (each thread starts with an empty one, as Python's threads by default).
// A context holds an immutable map shared by its copies: copy_context() is O(1), set() copies
// the map (contexts hold few variables). A task created in an empty context costs nothing.
#pragma once

#include <concepts>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

#include "concurrence/base/errors.hpp"

namespace concurrence {

// Python's LookupError: a ContextVar without a value or a default.
class LookupError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

namespace contextvars {

namespace detail {

// One variable's value in a context: its id and the value, type-erased.
struct Binding {
    std::uint64_t var;
    std::shared_ptr<const void> value;
};
struct ContextData {
    // `count` bindings sorted by variable id, in one allocation; never changed once shared:
    // set() makes a new array. Null: empty.
    std::shared_ptr<const Binding[]> map;
    std::size_t count = 0;
    bool entered = false;
    std::size_t size() const { return count; }
    // A new context with the same values (not entered).
    static std::shared_ptr<ContextData> copy_of(const ContextData* ctx) {
        auto out = std::make_shared<ContextData>();
        if (ctx) {
            out->map = ctx->map;
            out->count = ctx->count;
        }
        return out;
    }
};

// False until this thread sets a variable or enters a context: until then every context of
// the thread is empty, and a task being created has nothing to copy (one test, no call).
[[gnu::tls_model("initial-exec")]] inline thread_local bool t_contexts_used = false;

// The current context's data, or null if it is empty (reading needs nothing more).
ContextData* current_or_null() noexcept;
// The current context's data, made if needed (for set()).
ContextData& current();
// A copy of the current context's data for a task being created: null if it is empty.
std::shared_ptr<ContextData> copy_current_for_task();
// A copy of the current context's data (an empty one included).
std::shared_ptr<ContextData> copy_current();
// The asyncio task layer says where a running task keeps its context (null outside a task).
using TaskSlotHook = std::shared_ptr<ContextData>* (*)(bool make) noexcept;
void set_task_slot_hook(TaskSlotHook hook) noexcept;

const Binding* find(const ContextData* ctx, std::uint64_t var) noexcept;
// Binds (value non-null) or unbinds (null) var in ctx.
void bind(ContextData& ctx, std::uint64_t var, std::shared_ptr<const void> value);
std::uint64_t new_var_id() noexcept;
std::string address_of(const void* p);

// Context::run's entering and leaving.
class Entered {
public:
    explicit Entered(std::shared_ptr<ContextData> ctx);
    Entered(const Entered&) = delete;
    Entered& operator=(const Entered&) = delete;
    ~Entered();

private:
    std::shared_ptr<ContextData> ctx_;
    ContextData* outer_;
};

// A callback that runs in the context it was made in (Python's Handle._context).
template <class F>
struct RunInContext {
    using inner_callable = F;  // what reports name
    std::shared_ptr<ContextData> context;
    F callback;
    void operator()() {
        Entered scope(context);
        callback();
    }
};

// `callback`, or callback wrapped to run in a copy of the current context: the wrapping is
// needed only once this thread has used contexts (before, every context here is empty).
template <class F, class Then>
decltype(auto) with_current_context(F&& callback, Then&& then) {
    if (t_contexts_used) [[unlikely]]
        return then(RunInContext<std::decay_t<F>>{copy_current(), std::forward<F>(callback)});
    return then(std::forward<F>(callback));
}

}  // namespace detail

template <class T>
class ContextVar;

// Python's contextvars.Context: a mapping of variables to values, run(f) with it current.
class Context {
public:
    // An empty context (Python's Context()).
    Context() : data_(std::make_shared<detail::ContextData>()) {}
    explicit Context(std::shared_ptr<detail::ContextData> data) : data_(std::move(data)) {}

    // Calls f(args...) with this context current; what f sets stays in this context.
    // RuntimeError "cannot enter context: <Context object at 0x...> is already entered".
    template <class F, class... Args>
    decltype(auto) run(F&& f, Args&&... args) {
        detail::Entered scope(data_);
        return std::forward<F>(f)(std::forward<Args>(args)...);
    }
    // Python's len(ctx), `var in ctx`, ctx.get(var) (empty: not set in this context).
    std::size_t size() const { return data_->size(); }
    template <class T>
    bool contains(const ContextVar<T>& var) const {
        return detail::find(data_.get(), var.id()) != nullptr;
    }
    template <class T>
    std::optional<T> get(const ContextVar<T>& var) const {
        if (const detail::Binding* b = detail::find(data_.get(), var.id())) return *static_cast<const T*>(b->value.get());
        return std::nullopt;
    }
    // Python's copy(): a new context with the same values.
    Context copy() const { return Context(detail::ContextData::copy_of(data_.get())); }
    std::string repr() const { return "<Context object at " + detail::address_of(data_.get()) + ">"; }
    const std::shared_ptr<detail::ContextData>& data() const noexcept { return data_; }

private:
    std::shared_ptr<detail::ContextData> data_;
};

// Python's contextvars.copy_context(): a copy of the current context.
Context copy_context();

// Python's contextvars.Token: what set() returns, for reset(). Reset once, in the context
// and by the variable that made it.
template <class T>
class Token {
public:
    // Python's Token.old_value: the value before set(), empty for Token.MISSING.
    std::optional<T> old_value() const {
        if (!old_) return std::nullopt;
        return *static_cast<const T*>(old_.get());
    }
    const ContextVar<T>& var() const { return *var_; }

private:
    friend class ContextVar<T>;
    Token(const ContextVar<T>* var, const detail::ContextData* ctx, std::shared_ptr<const void> old)
        : var_(var), ctx_(ctx), old_(std::move(old)) {}
    const ContextVar<T>* var_;
    const detail::ContextData* ctx_;
    std::shared_ptr<const void> old_;
    bool used_ = false;
};

template <class T>
class ScopedSet;

// Python's contextvars.ContextVar(name, default=...). Values are copied in and out.
template <class T>
class ContextVar {
public:
    explicit ContextVar(std::string name) : name_(std::move(name)), id_(detail::new_var_id()) {}
    ContextVar(std::string name, T default_value)
        : name_(std::move(name)), id_(detail::new_var_id()), default_(std::move(default_value)) {}
    ContextVar(const ContextVar&) = delete;
    ContextVar& operator=(const ContextVar&) = delete;

    const std::string& name() const noexcept { return name_; }
    std::uint64_t id() const noexcept { return id_; }

    // The value in the current context, else the default; LookupError "<ContextVar name='x'
    // at 0x...>" without either.
    T get() const {
        if (const detail::Binding* b = detail::find(detail::current_or_null(), id_))
            return *static_cast<const T*>(b->value.get());
        if (default_) return *default_;
        throw LookupError(repr());
    }
    // Python's get(default): the value in the current context, else `fallback`.
    // (Templates, so that g++ 12 makes no temporary in a coroutine: `var.get("none")`.)
    template <class U>
        requires std::constructible_from<T, U&&>
    T get(U&& fallback) const {
        if (const detail::Binding* b = detail::find(detail::current_or_null(), id_))
            return *static_cast<const T*>(b->value.get());
        return T(std::forward<U>(fallback));
    }
    // Sets the value in the current context; the token undoes it.
    template <class U>
        requires std::constructible_from<T, U&&>
    Token<T> set(U&& value) {
        detail::ContextData& ctx = detail::current();
        const detail::Binding* old = detail::find(&ctx, id_);
        Token<T> token(this, &ctx, old ? old->value : nullptr);
        detail::bind(ctx, id_, std::make_shared<const T>(std::forward<U>(value)));
        return token;
    }
    // Python's reset(token): the value before that set(). RuntimeError if the token was used,
    // ValueError if another variable or another context made it.
    void reset(Token<T>& token) {
        const auto what = [&] { return "<Token var=" + repr() + " at " + detail::address_of(&token) + ">"; };
        if (token.used_) throw RuntimeError(what() + " has already been used once");
        if (token.var_ != this) throw ValueError(what() + " was created by a different ContextVar");
        detail::ContextData& ctx = detail::current();
        if (token.ctx_ != &ctx) throw ValueError(what() + " was created in a different Context");
        token.used_ = true;
        detail::bind(ctx, id_, std::move(token.old_));
    }
    // Python 3.14's `with var.set(value):`: set() now, reset(token) when the scope ends.
    template <class U>
        requires std::constructible_from<T, U&&>
    ScopedSet<T> scoped_set(U&& value) {
        return ScopedSet<T>(*this, set(std::forward<U>(value)));
    }
    std::string repr() const {
        std::string out = "<ContextVar name='" + name_ + "'";
        if (default_) out += " default=...";
        return out + " at " + detail::address_of(this) + ">";
    }

private:
    std::string name_;
    std::uint64_t id_;
    std::optional<T> default_;
};

// What scoped_set returns: the variable is reset to its value before the set when this
// object goes, however the scope is left (Python's Token.__exit__). reset() ends it early and
// throws what var.reset(token) throws (a scope left in another context than the one it was
// entered in: ValueError "... was created in a different Context"); the destructor cannot
// throw, so it reports that error on stderr instead.
template <class T>
class [[nodiscard]] ScopedSet {
public:
    ScopedSet(ContextVar<T>& var, Token<T> token) : var_(var), token_(std::move(token)) {}
    ScopedSet(const ScopedSet&) = delete;
    ScopedSet& operator=(const ScopedSet&) = delete;
    ~ScopedSet() {
        if (!token_) return;
        try {
            reset();
        } catch (const std::exception& e) {
            std::fprintf(stderr, "contextvars: the scope of %s could not reset it: %s\n", var_.repr().c_str(), e.what());
        }
    }
    const Token<T>& token() const { return *token_; }
    void reset() {
        if (!token_) return;
        Token<T> token = std::move(*token_);
        token_.reset();
        var_.reset(token);
    }

private:
    ContextVar<T>& var_;
    std::optional<Token<T>> token_;
};

}  // namespace contextvars
}  // namespace concurrence

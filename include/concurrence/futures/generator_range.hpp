// A single-pass range over what Derived::next() returns until it returns std::nullopt: the
// C++ side of a Python generator (as_completed(), Executor.map()).
//
//     for (auto& x : range) ...   // begin() calls next() once, each ++ once more
#pragma once

#include <cstddef>
#include <iterator>
#include <optional>

namespace concurrence::futures::detail {

// Derived provides std::optional<Value> next(), which may throw (out of begin() or ++).
template <class Derived, class Value>
class GeneratorRange {
public:
    class iterator {
    public:
        using value_type = Value;
        using difference_type = std::ptrdiff_t;
        using iterator_concept = std::input_iterator_tag;

        iterator() = default;
        Value& operator*() const { return *owner_->current_; }
        Value* operator->() const { return &*owner_->current_; }
        iterator& operator++() {
            owner_->advance();
            return *this;
        }
        void operator++(int) { ++*this; }
        friend bool operator==(const iterator& it, std::default_sentinel_t) { return it.at_end(); }

    private:
        bool at_end() const { return !owner_->current_; }
        friend class GeneratorRange;
        explicit iterator(GeneratorRange* owner) : owner_(owner) {}
        GeneratorRange* owner_ = nullptr;
    };

    // Computes the first element (and may throw).
    iterator begin() {
        advance();
        return iterator(this);
    }
    std::default_sentinel_t end() const noexcept { return {}; }

protected:
    GeneratorRange() = default;
    GeneratorRange(GeneratorRange&&) noexcept = default;
    GeneratorRange& operator=(GeneratorRange&&) noexcept = default;
    ~GeneratorRange() = default;

private:
    void advance() { current_ = static_cast<Derived&>(*this).next(); }

    std::optional<Value> current_;  // the element the iterators show
};

}  // namespace concurrence::futures::detail

// asyncio::TaskGroup: a port of CPython's Lib/test/test_asyncio/test_taskgroups.py (the rules
// of Lib/asyncio/taskgroups.py). CPython runs every test twice, on a plain loop and on a loop
// whose task factory is eager_task_factory (TestEagerTaskTaskGroup): each TEST_P here runs as
// TaskGroup.<Name>/Lazy and TaskGroup.<Name>/Eager.
//
// Python → C++:
//   async with TaskGroup() as g:   co_await asyncio::async_with(asyncio::TaskGroup(), [&](asyncio::TaskGroup& g) -> asyncio::Coro<> {...});
//   except* E / get_error_types    error_of(...) + types(e): the sub-exceptions' type names
//   Exception / BaseException      std::runtime_error / std::exception
//   finally: raise X               catch (...) {} throw X();  (the new exception replaces the old)
// Sleeps only order events (a shorter timer fires first); no test measures time.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <exception>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "semantic/support.hpp"

namespace {

using semantic::error_of;
using semantic::value_after;

namespace asyncio = concurrence::asyncio;
using asyncio::CancelledError;
using concurrence::ExceptionGroup;
using concurrence::KeyboardInterrupt;
using concurrence::RuntimeError;
using concurrence::ValueError;
using semantic::holds;
using semantic::Log;
using semantic::Reports;
using semantic::what_of;
using semantic::ZeroDivisionError;
using semantic::nap;
using testing::ElementsAre;
using testing::HasSubstr;
using testing::IsEmpty;
using testing::UnorderedElementsAre;

// ---- Python's exception types of the test module

struct TypeError : std::runtime_error {
    TypeError() : std::runtime_error("TypeError") {}
};
struct MyExc : std::runtime_error {  // class MyExc(Exception)
    MyExc() : std::runtime_error("MyExc") {}
};
struct MyBaseExc : std::exception {  // class MyBaseExc(BaseException)
    const char* what() const noexcept override { return "MyBaseExc"; }
};

// The Python type name of the exception in `e` ("" for none).
std::string type_name(const std::exception_ptr& e) {
    if (!e) return {};
    try {
        std::rethrow_exception(e);
    } catch (const ExceptionGroup&) {
        return "ExceptionGroup";
    } catch (const ZeroDivisionError&) {
        return "ZeroDivisionError";
    } catch (const TypeError&) {
        return "TypeError";
    } catch (const MyExc&) {
        return "MyExc";
    } catch (const MyBaseExc&) {
        return "MyBaseExc";
    } catch (const ValueError&) {
        return "ValueError";
    } catch (const RuntimeError&) {
        return "RuntimeError";
    } catch (const KeyboardInterrupt&) {
        return "KeyboardInterrupt";
    } catch (const CancelledError&) {
        return "CancelledError";
    } catch (const std::exception& other) {
        return std::string("other: ") + other.what();
    } catch (...) {
        return "non-std exception";
    }
}

// CPython's get_error_types, keeping duplicates: the type names of the group's
// sub-exceptions, sorted. Not a group: one entry "not a group: <type>".
std::vector<std::string> types(const std::exception_ptr& e) {
    std::vector<std::string> out;
    try {
        if (e) std::rethrow_exception(e);
        out.push_back("not a group: nothing raised");
    } catch (const ExceptionGroup& eg) {
        for (const std::exception_ptr& sub : eg.exceptions()) out.push_back(type_name(sub));
    } catch (...) {
        out.push_back("not a group: " + type_name(e));
    }
    std::sort(out.begin(), out.end());
    return out;
}

// The first sub-exception of a group (eg.exceptions[0]); null if not a group.
std::exception_ptr first_sub(const std::exception_ptr& e) {
    try {
        if (e) std::rethrow_exception(e);
    } catch (const ExceptionGroup& eg) {
        if (!eg.exceptions().empty()) return eg.exceptions().front();
    } catch (...) {
    }
    return nullptr;
}

// How many tasks the group still tracks (CPython's len(g._tasks)), from its repr.
int tasks_in(const asyncio::TaskGroup& g) {
    const std::string r = g.repr();
    const std::size_t at = r.find("tasks=");
    if (at == std::string::npos) return 0;
    return std::stoi(r.substr(at + 6));
}

// ---- coroutines



// E() for Python's `raise E` (the library's errors take a message).
template <class E>
E make_error() {
    if constexpr (std::is_default_constructible_v<E>) {
        return E();
    } else {
        return E("");
    }
}

template <class E>
asyncio::Coro<> raise_after(double delay) {
    co_await asyncio::sleep(delay);
    throw make_error<E>();
}

asyncio::Coro<> crash_after(double delay) {  // raise ValueError(t)
    co_await asyncio::sleep(delay);
    throw ValueError(std::to_string(delay));
}

// A child that, when cancelled, logs and cleans up asynchronously before it re-raises.
asyncio::Coro<> slow_cleanup(Log* log, std::string name) {
    bool cancelled = false;
    try {
        co_await asyncio::sleep(10);
    } catch (const CancelledError&) {
        cancelled = true;
    }
    if (!cancelled) {
        log->push_back(name + " woke");
        co_return;
    }
    log->push_back(name + " cleanup");
    co_await asyncio::sleep(0);
    co_await asyncio::sleep(0);
    log->push_back(name + " cleaned");
    throw CancelledError();
}

// A lambda coroutine made safe to run as a task: the closure is kept in this frame, so the
// lambda's captures live as long as the coroutine (a temporary closure would die at once).
template <class F, class R = typename std::invoke_result_t<F&>::value_type>
asyncio::Coro<R> coro(F f) {
    if constexpr (std::is_void_v<R>) {
        co_await f();
    } else {
        co_return co_await f();
    }
}

// ---- the fixture: a loop with the parameter's task factory, as CPython's two test classes

enum class Factory { lazy, eager };

class TaskGroup : public testing::TestWithParam<Factory> {
protected:
    // asyncio.run(main) on a loop with the task factory of the parameter, debug mode on (a
    // coroutine never awaited is reported) and an exception handler that records.
    void run(asyncio::Coro<> main) { asyncio::run(prepared(GetParam(), &reports_, std::move(main))); }

    // What the loop reported; a test that expects reports checks and clears them.
    void TearDown() override {
        EXPECT_THAT(reports_.messages, IsEmpty()) << "first: " << type_name(reports_.exceptions.front());
    }

    static asyncio::Coro<> prepared(Factory factory, Reports* reports, asyncio::Coro<> main) {
        asyncio::EventLoop& loop = asyncio::get_running_loop();
        if (factory == Factory::eager) loop.set_task_factory(asyncio::eager_task_factory);
        loop.set_debug(true);
        loop.set_exception_handler(semantic::record_into(reports));
        co_await std::move(main);
    }

    Reports reports_;
};

INSTANTIATE_TEST_SUITE_P(, TaskGroup, testing::Values(Factory::lazy, Factory::eager),
                         [](const testing::TestParamInfo<Factory>& param_info) {
                             return std::string(param_info.param == Factory::eager ? "Eager" : "Lazy");
                         });

// ---- results, names, tasks joining and leaving

// test_taskgroup_01
TEST_P(TaskGroup, ResultsReadableAfterBlock) {
    run([&]() -> asyncio::Coro<> {
        asyncio::Task<int> t1, t2;
        co_await asyncio::async_with(asyncio::TaskGroup(), [&](asyncio::TaskGroup& g) -> asyncio::Coro<> {
            t1 = g.create_task(value_after(0.001, 42));
            t2 = g.create_task(value_after(0.002, 11));
            co_return;
        });
        EXPECT_EQ(t1.result(), 42);
        EXPECT_EQ(t2.result(), 11);
    }());
}

// test_taskgroup_02
TEST_P(TaskGroup, TaskCreatedLaterInTheBody) {
    run([&]() -> asyncio::Coro<> {
        asyncio::Task<int> t1, t2;
        co_await asyncio::async_with(asyncio::TaskGroup(), [&](asyncio::TaskGroup& g) -> asyncio::Coro<> {
            t1 = g.create_task(value_after(0.001, 42));
            co_await asyncio::sleep(0.002);
            t2 = g.create_task(value_after(0.002, 11));
        });
        EXPECT_EQ(t1.result(), 42);
        EXPECT_EQ(t2.result(), 11);
    }());
}

// test_taskgroup_03
TEST_P(TaskGroup, ChildCancelledExplicitlyDoesNotFailTheGroup) {
    run([&]() -> asyncio::Coro<> {
        asyncio::Task<int> t1, t2;
        std::exception_ptr e = co_await error_of(
            asyncio::async_with(asyncio::TaskGroup(), [&](asyncio::TaskGroup& g) -> asyncio::Coro<> {
                t1 = g.create_task(value_after(10, 42));
                co_await asyncio::sleep(0.001);
                // cancel t1 explicitly: everything should continue working as expected
                t1.cancel();
                t2 = g.create_task(value_after(0.002, 11));
            }));
        EXPECT_EQ(type_name(e), "");
        EXPECT_TRUE(t1.cancelled());
        EXPECT_EQ(t2.result(), 11);
        EXPECT_EQ(asyncio::current_task().cancelling(), 0);
    }());
}

// test_taskgroup_task_name
TEST_P(TaskGroup, CreateTaskNamesTheTask) {
    run([&]() -> asyncio::Coro<> {
        co_await asyncio::async_with(asyncio::TaskGroup(), [&](asyncio::TaskGroup& g) -> asyncio::Coro<> {
            asyncio::Task<> t = g.create_task(nap(0), "yolo");
            EXPECT_EQ(t.get_name(), "yolo");
            co_return;
        });
    }());
}

// test_name
TEST_P(TaskGroup, TaskSeesItsName) {
    run([&]() -> asyncio::Coro<> {
        std::string name;
        co_await asyncio::async_with(asyncio::TaskGroup(), [&](asyncio::TaskGroup& g) -> asyncio::Coro<> {
            g.create_task(coro([&]() -> asyncio::Coro<> {
                name = asyncio::current_task().get_name();
                co_return;
            }),
                          "example name");
            co_return;
        });
        EXPECT_EQ(name, "example name");
    }());
}

// test_taskgroup_23: finished tasks leave the group (len(g._tasks), read here from the repr)
TEST_P(TaskGroup, FinishedTasksLeaveTheGroup) {
    run([&]() -> asyncio::Coro<> {
        co_await asyncio::async_with(asyncio::TaskGroup(), [&](asyncio::TaskGroup& g) -> asyncio::Coro<> {
            for (int count = 0; count < 10; ++count) {
                co_await asyncio::sleep(0.002);
                g.create_task(nap(0.005));
                if (count == 5) {
                    EXPECT_LT(tasks_in(g), 5) << g.repr();
                }
            }
            co_await asyncio::sleep(0.05);
            EXPECT_EQ(tasks_in(g), 0) << g.repr();
            EXPECT_EQ(g.repr(), "<TaskGroup entered>");
        });
    }());
}

// test_taskgroup_24: a child adds tasks to the group while the group waits in __aexit__
TEST_P(TaskGroup, ChildCreatesTasksWhileGroupExits) {
    run([&]() -> asyncio::Coro<> {
        std::vector<asyncio::Task<>> grandchildren;
        co_await asyncio::async_with(asyncio::TaskGroup(), [&](asyncio::TaskGroup& g) -> asyncio::Coro<> {
            g.create_task(coro([&, gp = &g]() -> asyncio::Coro<> {  // root(g)
                co_await asyncio::sleep(0.001);
                grandchildren.push_back(gp->create_task(nap(0.001)));
                grandchildren.push_back(gp->create_task(nap(0.002)));
            }));
            co_return;
        });
        EXPECT_EQ(grandchildren.size(), 2u);
        for (const asyncio::Task<>& t : grandchildren) {
            EXPECT_TRUE(t.done());
            EXPECT_FALSE(t.cancelled());
        }
    }());
}

asyncio::Coro<> hydra(asyncio::TaskGroup* g, int* nhydras) {
    ++*nhydras;
    co_await asyncio::sleep(0.001);
    if (*nhydras > 1'000'000) co_return;  // never: only tells clang's -Winfinite-recursion that a path ends
    g->create_task(hydra(g, nhydras));
    g->create_task(hydra(g, nhydras));
}

asyncio::Coro<> hercules(const int* nhydras) {
    while (*nhydras < 10) co_await asyncio::sleep(0.0015);
    throw ZeroDivisionError();
}

// test_taskgroup_25
TEST_P(TaskGroup, HydraTasksStopAtTheFirstFailure) {
    run([&]() -> asyncio::Coro<> {
        int nhydras = 0;
        std::exception_ptr e = co_await error_of(
            asyncio::async_with(asyncio::TaskGroup(), [&](asyncio::TaskGroup& g) -> asyncio::Coro<> {
                g.create_task(hydra(&g, &nhydras));
                g.create_task(hercules(&nhydras));
                co_return;
            }));
        // Only hercules' error: the hydras are cancelled (none is refused "is shutting down").
        EXPECT_THAT(types(e), ElementsAre("ZeroDivisionError"));
        EXPECT_GE(nhydras, 10);
    }());
}

// ---- a child fails: the others and the body are cancelled, every error is collected

// test_taskgroup_04
TEST_P(TaskGroup, ChildErrorCancelsSiblings) {
    run([&]() -> asyncio::Coro<> {
        int num = 0;
        bool t2_cancel = false;
        asyncio::Task<> t2;
        std::exception_ptr e = co_await error_of(asyncio::create_task(coro([&]() -> asyncio::Coro<> {
            co_await asyncio::async_with(asyncio::TaskGroup(), [&](asyncio::TaskGroup& g) -> asyncio::Coro<> {
                g.create_task(raise_after<ZeroDivisionError>(0.001));
                t2 = g.create_task(coro([&]() -> asyncio::Coro<> {
                    try {
                        co_await asyncio::sleep(1);
                    } catch (const CancelledError&) {
                        t2_cancel = true;
                        throw;
                    }
                    num += 1;
                }));
                co_return;
            });
            num += 10;
        })));
        EXPECT_THAT(types(e), ElementsAre("ZeroDivisionError"));
        EXPECT_EQ(what_of(e), "unhandled errors in a TaskGroup (1 sub-exception)");
        EXPECT_EQ(num, 0);
        EXPECT_TRUE(t2_cancel);
        EXPECT_TRUE(t2.cancelled());
    }());
}

// test_cancel_children_on_child_error: the three failures that happen in the same loop
// iteration are all in the group (CPython's version is racy on a busy host; sleep(0) is not),
// with none of the siblings' CancelledErrors.
TEST_P(TaskGroup, CancelChildrenOnChildError) {
    run([&]() -> asyncio::Coro<> {
        int num = 0;
        bool t2_cancel = false;
        bool runner_cancel = false;
        std::exception_ptr e = co_await error_of(asyncio::create_task(coro([&]() -> asyncio::Coro<> {
            co_await asyncio::async_with(asyncio::TaskGroup(), [&](asyncio::TaskGroup& g) -> asyncio::Coro<> {
                g.create_task(raise_after<ZeroDivisionError>(0));
                g.create_task(raise_after<ZeroDivisionError>(0));
                g.create_task(raise_after<ZeroDivisionError>(0));
                g.create_task(coro([&]() -> asyncio::Coro<> {
                    try {
                        co_await asyncio::sleep(5);
                    } catch (const CancelledError&) {
                        t2_cancel = true;
                        throw;
                    }
                    num += 1;
                }));
                try {
                    co_await asyncio::sleep(10);
                } catch (const CancelledError&) {
                    runner_cancel = true;
                    throw;
                }
            });
            num += 10;
        })));
        EXPECT_THAT(types(e), ElementsAre("ZeroDivisionError", "ZeroDivisionError", "ZeroDivisionError"));
        EXPECT_EQ(what_of(e), "unhandled errors in a TaskGroup (3 sub-exceptions)");
        EXPECT_EQ(num, 0);
        EXPECT_TRUE(t2_cancel);
        EXPECT_TRUE(runner_cancel);
    }());
}

// _on_task_done: `if task.cancelled(): return`. A child that raises CancelledError by itself
// ends cancelled; that is not an error of the group and cancels nothing.
TEST_P(TaskGroup, ChildRaisingCancelledErrorIsNotAnError) {
    run([&]() -> asyncio::Coro<> {
        asyncio::Task<> quitter;
        asyncio::Task<int> worker;
        std::exception_ptr e = co_await error_of(
            asyncio::async_with(asyncio::TaskGroup(), [&](asyncio::TaskGroup& g) -> asyncio::Coro<> {
                quitter = g.create_task(coro([]() -> asyncio::Coro<> {
                    co_await asyncio::sleep(0);
                    throw CancelledError("by itself");
                }));
                worker = g.create_task(value_after(0.002, 7));
                co_await asyncio::sleep(0.001);
            }));
        EXPECT_EQ(type_name(e), "");
        EXPECT_TRUE(quitter.cancelled());
        EXPECT_EQ(worker.result(), 7);
        EXPECT_EQ(asyncio::current_task().cancelling(), 0);
    }());
}

// A child awaiting the sibling that fails: the group's callback (registered first) cancels it
// before it wakes up, so it ends cancelled (Task.__step: a pending cancel replaces the
// exception it would receive) and the group holds the error once.
TEST_P(TaskGroup, ChildAwaitingFailedSiblingIsCancelled) {
    run([&]() -> asyncio::Coro<> {
        asyncio::Task<> failing, waiting;
        std::exception_ptr e = co_await error_of(
            asyncio::async_with(asyncio::TaskGroup(), [&](asyncio::TaskGroup& g) -> asyncio::Coro<> {
                failing = g.create_task(raise_after<ZeroDivisionError>(0.001));
                waiting = g.create_task(coro([&]() -> asyncio::Coro<> { co_await failing; }));
                co_return;
            }));
        EXPECT_THAT(types(e), ElementsAre("ZeroDivisionError"));
        EXPECT_TRUE(waiting.cancelled()) << type_name(waiting.done() && !waiting.cancelled() ? waiting.exception() : nullptr);
    }());
}

// test_taskgroup_no_create_task_after_failure
TEST_P(TaskGroup, NoCreateTaskAfterFailure) {
    run([&]() -> asyncio::Coro<> {
        std::string refused;
        std::exception_ptr e = co_await error_of(
            asyncio::async_with(asyncio::TaskGroup(), [&](asyncio::TaskGroup& g) -> asyncio::Coro<> {
                g.create_task(raise_after<ZeroDivisionError>(0.001));
                g.create_task(coro([&, gp = &g]() -> asyncio::Coro<> {
                    try {
                        co_await asyncio::sleep(1);
                    } catch (const CancelledError&) {
                        try {
                            gp->create_task(raise_after<ZeroDivisionError>(0.001));
                        } catch (const RuntimeError& refusal) {
                            refused = refusal.what();
                        }
                    }
                }));
                co_return;
            }));
        EXPECT_THAT(types(e), ElementsAre("ZeroDivisionError"));
        EXPECT_EQ(refused, "TaskGroup <TaskGroup tasks=1 errors=1 cancelling> is shutting down");
        EXPECT_EQ(asyncio::current_task().cancelling(), 0);
    }());
}

// test_cancels_task_if_created_during_creation (gh-128550): a task that fails while another
// one is being created (at once, with eager tasks) still cancels the group.
TEST_P(TaskGroup, CancelsTaskIfCreatedDuringCreation) {
    run([&]() -> asyncio::Coro<> {
        bool ran = false;
        bool second_cancelled = false;
        std::exception_ptr e = co_await error_of(
            asyncio::async_with(asyncio::TaskGroup(), [&](asyncio::TaskGroup& tg) -> asyncio::Coro<> {
                tg.create_task(coro([&, tgp = &tg]() -> asyncio::Coro<> {  // second_task
                    tgp->create_task(coro([]() -> asyncio::Coro<> {    // third_task
                        throw MyExc();
                        co_return;
                    }));
                    try {
                        co_await asyncio::sleep(0);  // eager tasks cancel here
                        co_await asyncio::sleep(0);  // lazy tasks cancel here
                    } catch (const CancelledError&) {
                        second_cancelled = true;
                    }
                    ran = true;
                }));
                co_return;
            }));
        EXPECT_TRUE(second_cancelled);
        EXPECT_TRUE(ran);
        EXPECT_THAT(types(e), ElementsAre("MyExc"));
    }());
}

// test_cancellation_does_not_leak_out_of_tg
TEST_P(TaskGroup, CancellationDoesNotLeakOutOfGroup) {
    run([&]() -> asyncio::Coro<> {
        std::exception_ptr e = co_await error_of(
            asyncio::async_with(asyncio::TaskGroup(), [&](asyncio::TaskGroup& tg) -> asyncio::Coro<> {
                tg.create_task(coro([]() -> asyncio::Coro<> {
                    throw MyExc();
                    co_return;
                }));
                co_return;
            }));
        EXPECT_THAT(types(e), ElementsAre("MyExc"));
        EXPECT_EQ(asyncio::current_task().cancelling(), 0);
        // The group's own cancel request of this task must be gone, not waiting for the next await.
        std::exception_ptr after = co_await error_of(asyncio::sleep(0));
        EXPECT_EQ(type_name(after), "");
    }());
}

// test_cancelling_level_preserved
TEST_P(TaskGroup, CancellingLevelPreserved) {
    run([&]() -> asyncio::Coro<> {
        std::exception_ptr e = co_await error_of(
            asyncio::async_with(asyncio::TaskGroup(), [&](asyncio::TaskGroup& tg) -> asyncio::Coro<> {
                tg.create_task(raise_after<RuntimeError>(0.0));
                co_return;
            }));
        EXPECT_THAT(types(e), ElementsAre("RuntimeError"));
        EXPECT_EQ(asyncio::current_task().cancelling(), 0);
    }());
}

// test_nested_groups_both_cancelled: both groups cancel the same parent task; each takes back
// its own request.
TEST_P(TaskGroup, NestedGroupsBothCancelled) {
    run([&]() -> asyncio::Coro<> {
        int cancelling_between = -1;
        std::exception_ptr inner_error;
        std::exception_ptr outer_error = co_await error_of(
            asyncio::async_with(asyncio::TaskGroup(), [&](asyncio::TaskGroup& outer_tg) -> asyncio::Coro<> {
                inner_error = co_await error_of(
                    asyncio::async_with(asyncio::TaskGroup(), [&](asyncio::TaskGroup& inner_tg) -> asyncio::Coro<> {
                        inner_tg.create_task(raise_after<RuntimeError>(0));
                        outer_tg.create_task(raise_after<ValueError>(0));
                        co_return;
                    }));
                cancelling_between = asyncio::current_task().cancelling();
            }));
        EXPECT_THAT(types(inner_error), ElementsAre("RuntimeError"));
        EXPECT_EQ(cancelling_between, 1);
        EXPECT_THAT(types(outer_error), ElementsAre("ValueError"));
        EXPECT_EQ(asyncio::current_task().cancelling(), 0);
    }());
}

// test_error_and_cancel: an error in the group and a cancellation from outside; the outside
// one stays pending after the ExceptionGroup (cancelling() stays 1) and ends the task.
TEST_P(TaskGroup, ErrorAndCancel) {
    run([&]() -> asyncio::Coro<> {
        asyncio::Future<void> event = asyncio::get_running_loop().create_future();
        bool sleep_in_group_finished = false;
        bool sleep_after_group_finished = false;
        int cancelling_after_group = -1;  // CPython checks it in `except*` and after: one place here
        std::string group_error;

        asyncio::Task<> t = asyncio::create_task(coro([&]() -> asyncio::Coro<> {  // inner()
            std::exception_ptr e = co_await error_of(
                asyncio::async_with(asyncio::TaskGroup(), [&](asyncio::TaskGroup& tg) -> asyncio::Coro<> {
                    tg.create_task(coro([&]() -> asyncio::Coro<> {  // raise_error()
                        if (!event.done()) event.set_result();
                        co_await asyncio::sleep(0);
                        throw RuntimeError("");
                    }));
                    co_await asyncio::sleep(1);
                    sleep_in_group_finished = true;  // "Sleep in group should have been cancelled"
                }));
            group_error = types(e).front();
            cancelling_after_group = asyncio::current_task().cancelling();
            co_await asyncio::sleep(1);
            sleep_after_group_finished = true;  // "Sleep after group should have been cancelled"
        }));
        co_await event;
        EXPECT_EQ(t.cancelling(), 0);
        t.cancel();
        EXPECT_EQ(t.cancelling(), 1);
        std::exception_ptr e = co_await error_of(t);
        EXPECT_EQ(type_name(e), "CancelledError");
        EXPECT_TRUE(t.cancelled());
        EXPECT_EQ(group_error, "RuntimeError");
        EXPECT_EQ(cancelling_after_group, 1);
        EXPECT_FALSE(sleep_in_group_finished);
        EXPECT_FALSE(sleep_after_group_finished);
    }());
}

// test_taskgroup_context_manager_exit_raises (gh-95289): an inner context manager turns the
// body's CancelledError into its own error: both errors are in the group and the parent's
// cancel request is taken back.
struct Database {  // @asynccontextmanager: try: yield  finally: raise CustomException
    struct CustomException : std::runtime_error {
        CustomException() : std::runtime_error("CustomException") {}
    };
    asyncio::detail::Ready<void> aenter() { return {}; }
    asyncio::Coro<bool> aexit(std::exception_ptr) {
        throw CustomException();
        co_return false;
    }
};

TEST_P(TaskGroup, ContextManagerExitRaises) {
    run([&]() -> asyncio::Coro<> {
        int cancelling = -1;
        std::size_t custom = 0, all = 0;
        co_await asyncio::create_task(coro([&]() -> asyncio::Coro<> {  // main()
            std::exception_ptr e = co_await error_of(
                asyncio::async_with(asyncio::TaskGroup(), [&](asyncio::TaskGroup& tg) -> asyncio::Coro<> {
                    co_await asyncio::async_with(Database(), [&]() -> asyncio::Coro<> {
                        tg.create_task(coro([]() -> asyncio::Coro<> {  // raise_exc()
                            throw Database::CustomException();
                            co_return;
                        }));
                        co_await asyncio::sleep(1);
                    });
                }));
            try {
                if (e) std::rethrow_exception(e);
            } catch (const ExceptionGroup& eg) {
                custom = eg.matching<Database::CustomException>().size();
                all = eg.exceptions().size();
            } catch (...) {
            }
            cancelling = asyncio::current_task().cancelling();
        }));
        EXPECT_EQ(cancelling, 0);
        EXPECT_EQ(custom, 2u);
        EXPECT_EQ(all, 2u);
    }());
}

// ---- cancellation from outside

// test_cancellation
TEST_P(TaskGroup, CancelFromOutsideCancelsChildren) {
    run([&]() -> asyncio::Coro<> {
        int num = 0;
        int cancelling_in_runner = -1;
        asyncio::Task<> r = asyncio::create_task(coro([&]() -> asyncio::Coro<> {
            std::exception_ptr e = co_await error_of(
                asyncio::async_with(asyncio::TaskGroup(), [&](asyncio::TaskGroup& g) -> asyncio::Coro<> {
                    for (int i = 0; i < 5; ++i)
                        g.create_task(coro([&]() -> asyncio::Coro<> {
                            try {
                                co_await asyncio::sleep(5);
                            } catch (const CancelledError&) {
                                num += 1;
                                throw;
                            }
                        }));
                    co_return;
                }));
            cancelling_in_runner = asyncio::current_task().cancelling();
            if (e) std::rethrow_exception(e);
        }));
        co_await asyncio::sleep(0.001);
        EXPECT_FALSE(r.done());
        r.cancel("test");
        std::exception_ptr e = co_await error_of(r);
        EXPECT_EQ(type_name(e), "CancelledError");
        EXPECT_EQ(what_of(e), "test");  // CPython 3.11's version checks cm.exception.args == ('test',)
        EXPECT_TRUE(r.cancelled());
        EXPECT_EQ(num, 5);
        EXPECT_EQ(cancelling_in_runner, 1);  // the outside request is not taken back
    }());
}

// test_cancellation_in_body (CPython 3.11's version; its children fail at the moment of the
// cancel, which is racy: here they would fail later): the body's CancelledError, with its
// message, is what propagates.
TEST_P(TaskGroup, CancelMessageFromTheBodyPropagates) {
    run([&]() -> asyncio::Coro<> {
        asyncio::Task<> r = asyncio::create_task(coro([&]() -> asyncio::Coro<> {
            co_await asyncio::async_with(asyncio::TaskGroup(), [&](asyncio::TaskGroup& g) -> asyncio::Coro<> {
                for (int i = 0; i < 5; ++i) g.create_task(raise_after<ZeroDivisionError>(0.05));
                co_await asyncio::sleep(10);
            });
        }));
        co_await asyncio::sleep(0.001);
        EXPECT_FALSE(r.done());
        r.cancel("test");
        std::exception_ptr e = co_await error_of(r);
        EXPECT_EQ(type_name(e), "CancelledError");
        EXPECT_EQ(what_of(e), "test");
        EXPECT_TRUE(r.cancelled());
    }());
}

// test_taskgroup_07
TEST_P(TaskGroup, CancelFromOutsideReachesTheBody) {
    run([&]() -> asyncio::Coro<> {
        int num = 0;
        asyncio::Task<> r = asyncio::create_task(coro([&]() -> asyncio::Coro<> {
            co_await asyncio::async_with(asyncio::TaskGroup(), [&](asyncio::TaskGroup& g) -> asyncio::Coro<> {
                for (int i = 0; i < 5; ++i)
                    g.create_task(coro([&]() -> asyncio::Coro<> {
                        try {
                            co_await asyncio::sleep(5);
                        } catch (const CancelledError&) {
                            num += 1;
                            throw;
                        }
                    }));
                try {
                    co_await asyncio::sleep(10);
                } catch (const CancelledError&) {
                    num += 10;
                    throw;
                }
            });
        }));
        co_await asyncio::sleep(0.001);
        EXPECT_FALSE(r.done());
        r.cancel();
        std::exception_ptr e = co_await error_of(r);
        EXPECT_EQ(type_name(e), "CancelledError");
        EXPECT_EQ(num, 15);
    }());
}

asyncio::Coro<> zero_division_in_finally() {  // try: await sleep(10)  finally: 1 / 0
    try {
        co_await asyncio::sleep(10);
    } catch (...) {
    }
    throw ZeroDivisionError();
}

// test_taskgroup_08: the children's errors win over the outside cancellation
TEST_P(TaskGroup, ChildErrorsWinOverOutsideCancel) {
    run([&]() -> asyncio::Coro<> {
        asyncio::Task<> r = asyncio::create_task(coro([&]() -> asyncio::Coro<> {
            co_await asyncio::async_with(asyncio::TaskGroup(), [&](asyncio::TaskGroup& g) -> asyncio::Coro<> {
                for (int i = 0; i < 5; ++i) g.create_task(zero_division_in_finally());
                co_await asyncio::sleep(10);
            });
        }));
        co_await asyncio::sleep(0.001);
        EXPECT_FALSE(r.done());
        r.cancel();
        std::exception_ptr e = co_await error_of(r);
        EXPECT_THAT(types(e), ElementsAre("ZeroDivisionError", "ZeroDivisionError", "ZeroDivisionError",
                                          "ZeroDivisionError", "ZeroDivisionError"));
        EXPECT_FALSE(r.cancelled());
        // The outside request stays: uncancel() + cancel() keep the count stable.
        EXPECT_EQ(r.cancelling(), 1);
    }());
}

// test_taskgroup_11
TEST_P(TaskGroup, NestedGroupOutsideCancelWithChildErrors) {
    run([&]() -> asyncio::Coro<> {
        asyncio::Task<> r = asyncio::create_task(coro([&]() -> asyncio::Coro<> {
            co_await asyncio::async_with(asyncio::TaskGroup(), [&](asyncio::TaskGroup&) -> asyncio::Coro<> {
                co_await asyncio::async_with(asyncio::TaskGroup(), [&](asyncio::TaskGroup& g2) -> asyncio::Coro<> {
                    for (int i = 0; i < 5; ++i) g2.create_task(zero_division_in_finally());
                    co_await asyncio::sleep(10);
                });
            });
        }));
        co_await asyncio::sleep(0.001);
        EXPECT_FALSE(r.done());
        r.cancel();
        std::exception_ptr e = co_await error_of(r);
        EXPECT_THAT(types(e), ElementsAre("ExceptionGroup"));
        EXPECT_THAT(types(first_sub(e)), ElementsAre("ZeroDivisionError", "ZeroDivisionError", "ZeroDivisionError",
                                                     "ZeroDivisionError", "ZeroDivisionError"));
    }());
}

// test_taskgroup_12: as 11, with a task of the outer group still running
TEST_P(TaskGroup, NestedGroupOutsideCancelWithOuterTask) {
    run([&]() -> asyncio::Coro<> {
        asyncio::Task<> outer_child;
        asyncio::Task<> r = asyncio::create_task(coro([&]() -> asyncio::Coro<> {
            co_await asyncio::async_with(asyncio::TaskGroup(), [&](asyncio::TaskGroup& g1) -> asyncio::Coro<> {
                outer_child = g1.create_task(nap(10));
                co_await asyncio::async_with(asyncio::TaskGroup(), [&](asyncio::TaskGroup& g2) -> asyncio::Coro<> {
                    for (int i = 0; i < 5; ++i) g2.create_task(zero_division_in_finally());
                    co_await asyncio::sleep(10);
                });
            });
        }));
        co_await asyncio::sleep(0.001);
        EXPECT_FALSE(r.done());
        r.cancel();
        std::exception_ptr e = co_await error_of(r);
        EXPECT_THAT(types(e), ElementsAre("ExceptionGroup"));
        EXPECT_THAT(types(first_sub(e)), ElementsAre("ZeroDivisionError", "ZeroDivisionError", "ZeroDivisionError",
                                                     "ZeroDivisionError", "ZeroDivisionError"));
        EXPECT_TRUE(outer_child.cancelled());
    }());
}

// test_taskgroup_15: the body is cancelled from outside and cleans up asynchronously; a child
// fails meanwhile (the parent is cancelled a second time): the error wins.
TEST_P(TaskGroup, ChildErrorDuringBodyCleanup) {
    run([&]() -> asyncio::Coro<> {
        bool cleanup_finished = false;
        asyncio::Task<> r = asyncio::create_task(coro([&]() -> asyncio::Coro<> {
            co_await asyncio::async_with(asyncio::TaskGroup(), [&](asyncio::TaskGroup& g1) -> asyncio::Coro<> {
                g1.create_task(raise_after<ZeroDivisionError>(0.03));
                bool cancelled = false;
                try {
                    co_await asyncio::sleep(10);
                } catch (const CancelledError&) {
                    cancelled = true;
                }
                if (cancelled) {
                    co_await asyncio::sleep(0.5);
                    cleanup_finished = true;
                    throw CancelledError();
                }
            });
        }));
        co_await asyncio::sleep(0.01);
        EXPECT_FALSE(r.done());
        r.cancel();
        std::exception_ptr e = co_await error_of(r);
        EXPECT_THAT(types(e), ElementsAre("ZeroDivisionError"));
        EXPECT_FALSE(cleanup_finished);  // the group's own cancel request stopped the cleanup
    }());
}

// test_taskgroup_16: as 15, the group in a task awaited by the task cancelled
TEST_P(TaskGroup, ChildErrorDuringBodyCleanupInAwaitedTask) {
    run([&]() -> asyncio::Coro<> {
        asyncio::Task<> r = asyncio::create_task(coro([&]() -> asyncio::Coro<> {
            asyncio::Task<> t = asyncio::create_task(coro([&]() -> asyncio::Coro<> {  // nested_runner()
                co_await asyncio::async_with(asyncio::TaskGroup(), [&](asyncio::TaskGroup& g1) -> asyncio::Coro<> {
                    g1.create_task(raise_after<ZeroDivisionError>(0.03));
                    bool cancelled = false;
                    try {
                        co_await asyncio::sleep(10);
                    } catch (const CancelledError&) {
                        cancelled = true;
                    }
                    if (cancelled) {
                        co_await asyncio::sleep(0.5);
                        throw CancelledError();
                    }
                });
            }));
            co_await t;
        }));
        co_await asyncio::sleep(0.01);
        EXPECT_FALSE(r.done());
        r.cancel();
        std::exception_ptr e = co_await error_of(r);
        EXPECT_THAT(types(e), ElementsAre("ZeroDivisionError"));
    }());
}

// test_taskgroup_17
TEST_P(TaskGroup, EmptyGroupCancelledFromOutside) {
    run([&]() -> asyncio::Coro<> {
        int num = 0;
        asyncio::Task<> r = asyncio::create_task(coro([&]() -> asyncio::Coro<> {
            co_await asyncio::async_with(asyncio::TaskGroup(), [&]() -> asyncio::Coro<> {
                try {
                    co_await asyncio::sleep(10);
                } catch (const CancelledError&) {
                    num += 10;
                    throw;
                }
            });
        }));
        co_await asyncio::sleep(0.001);
        EXPECT_FALSE(r.done());
        r.cancel();
        std::exception_ptr e = co_await error_of(r);
        EXPECT_EQ(type_name(e), "CancelledError");
        EXPECT_TRUE(r.cancelled());
        EXPECT_EQ(num, 10);
    }());
}

// test_taskgroup_18: the body turns the outside cancellation into an error
TEST_P(TaskGroup, BodyRaisesInsteadOfCancelled) {
    run([&]() -> asyncio::Coro<> {
        int num = 0;
        asyncio::Task<> r = asyncio::create_task(coro([&]() -> asyncio::Coro<> {
            co_await asyncio::async_with(asyncio::TaskGroup(), [&]() -> asyncio::Coro<> {
                try {
                    co_await asyncio::sleep(10);
                } catch (const CancelledError&) {
                    num += 10;
                    // This isn't a good idea, but we have to support this weird case.
                    throw MyExc();
                }
            });
        }));
        co_await asyncio::sleep(0.001);
        EXPECT_FALSE(r.done());
        r.cancel();
        std::exception_ptr e = co_await error_of(r);
        EXPECT_THAT(types(e), ElementsAre("MyExc"));
        EXPECT_EQ(num, 10);
    }());
}

// test_taskgroup_22: cancelled while waiting in __aexit__
TEST_P(TaskGroup, CancelledWhileWaitingInExit) {
    run([&]() -> asyncio::Coro<> {
        asyncio::Task<int> t1, t2;
        asyncio::Task<> r = asyncio::create_task(coro([&]() -> asyncio::Coro<> {
            co_await asyncio::async_with(asyncio::TaskGroup(), [&](asyncio::TaskGroup& g) -> asyncio::Coro<> {
                t1 = g.create_task(value_after(1, 42));
                t2 = g.create_task(value_after(2, 11));
                co_return;
            });
        }));
        co_await asyncio::sleep(0.001);
        r.cancel();
        std::exception_ptr e = co_await error_of(r);
        EXPECT_EQ(type_name(e), "CancelledError");
        EXPECT_TRUE(r.cancelled());
        EXPECT_TRUE(t1.cancelled());
        EXPECT_TRUE(t2.cancelled());
    }());
}

// The parent is cancelled twice while it waits in __aexit__ for a child that cleans up
// asynchronously (taskgroups.py's while-loop around `await self._on_completed_fut`): the
// group still waits for the child, then propagates CancelledError; both requests stay.
TEST_P(TaskGroup, ParentCancelledTwiceWhileWaitingInExit) {
    run([&]() -> asyncio::Coro<> {
        Log log;
        int cancelling_in_runner = -1;
        asyncio::Task<> r = asyncio::create_task(coro([&]() -> asyncio::Coro<> {
            std::exception_ptr e = co_await error_of(
                asyncio::async_with(asyncio::TaskGroup(), [&](asyncio::TaskGroup& g) -> asyncio::Coro<> {
                    g.create_task(slow_cleanup(&log, "child"));
                    co_return;
                }));
            cancelling_in_runner = asyncio::current_task().cancelling();
            log.push_back("runner: " + type_name(e));
            if (e) std::rethrow_exception(e);
        }));
        co_await asyncio::sleep(0);
        co_await asyncio::sleep(0);
        r.cancel();
        co_await asyncio::sleep(0);
        EXPECT_FALSE(r.done());
        r.cancel();
        std::exception_ptr e = co_await error_of(r);
        EXPECT_EQ(type_name(e), "CancelledError");
        EXPECT_TRUE(r.cancelled());
        EXPECT_EQ(cancelling_in_runner, 2);
        EXPECT_THAT(log, ElementsAre("child cleanup", "child cleaned", "runner: CancelledError"));
    }());
}

// Children that catch the cancellation and clean up asynchronously are waited for: the
// group only exits once their cleanup is done (taskgroups.py __aexit__ waits for every task).
TEST_P(TaskGroup, ChildrenCleanUpBeforeTheGroupExits) {
    run([&]() -> asyncio::Coro<> {
        Log log;
        std::exception_ptr e = co_await error_of(
            asyncio::async_with(asyncio::TaskGroup(), [&](asyncio::TaskGroup& g) -> asyncio::Coro<> {
                g.create_task(slow_cleanup(&log, "a"));
                g.create_task(slow_cleanup(&log, "b"));
                g.create_task(raise_after<ZeroDivisionError>(0.001));
                co_return;
            }));
        log.push_back("after group: " + types(e).front());
        EXPECT_THAT(log, ElementsAre("a cleanup", "b cleanup", "a cleaned", "b cleaned",
                                     "after group: ZeroDivisionError"));
        EXPECT_EQ(asyncio::current_task().cancelling(), 0);
    }());
}

// ---- the body raises

// A child that swallows its cancellation and finishes later is still waited for; the outside
// cancellation then propagates (taskgroups.py's while-loop in _aexit).
TEST_P(TaskGroup, ChildIgnoringCancellationIsAwaited) {
    run([&]() -> asyncio::Coro<> {
        Log log;
        asyncio::Task<int> stubborn;
        asyncio::Task<> r = asyncio::create_task(coro([&]() -> asyncio::Coro<> {
            co_await asyncio::async_with(asyncio::TaskGroup(), [&](asyncio::TaskGroup& g) -> asyncio::Coro<> {
                stubborn = g.create_task(coro([&]() -> asyncio::Coro<int> {
                    try {
                        co_await asyncio::sleep(10);
                    } catch (const CancelledError&) {
                        log.push_back("stubborn ignores the cancel");
                    }
                    co_await asyncio::sleep(0.001);
                    log.push_back("stubborn done");
                    co_return 5;
                }));
                co_return;
            });
        }));
        co_await asyncio::sleep(0);
        co_await asyncio::sleep(0);
        r.cancel();
        std::exception_ptr e = co_await error_of(r);
        log.push_back("runner: " + type_name(e));
        EXPECT_TRUE(r.cancelled());
        EXPECT_EQ(stubborn.result(), 5);
        EXPECT_THAT(log, ElementsAre("stubborn ignores the cancel", "stubborn done", "runner: CancelledError"));
    }());
}

// test_taskgroup_09
TEST_P(TaskGroup, BodyErrorAfterAwaitCancelsChildren) {
    run([&]() -> asyncio::Coro<> {
        asyncio::Task<int> t1, t2;
        std::exception_ptr e = co_await error_of(
            asyncio::async_with(asyncio::TaskGroup(), [&](asyncio::TaskGroup& g) -> asyncio::Coro<> {
                t1 = g.create_task(value_after(1, 42));
                t2 = g.create_task(value_after(2, 11));
                co_await asyncio::sleep(0.001);
                throw ZeroDivisionError();
            }));
        EXPECT_THAT(types(e), ElementsAre("ZeroDivisionError"));
        EXPECT_TRUE(t1.cancelled());
        EXPECT_TRUE(t2.cancelled());
        EXPECT_EQ(asyncio::current_task().cancelling(), 0);
    }());
}

// test_taskgroup_10
TEST_P(TaskGroup, BodyErrorAtOnceCancelsChildren) {
    run([&]() -> asyncio::Coro<> {
        asyncio::Task<int> t1, t2;
        std::exception_ptr e = co_await error_of(
            asyncio::async_with(asyncio::TaskGroup(), [&](asyncio::TaskGroup& g) -> asyncio::Coro<> {
                t1 = g.create_task(value_after(1, 42));
                t2 = g.create_task(value_after(2, 11));
                throw ZeroDivisionError();
                co_return;
            }));
        EXPECT_THAT(types(e), ElementsAre("ZeroDivisionError"));
        EXPECT_TRUE(t1.cancelled());
        EXPECT_TRUE(t2.cancelled());
    }());
}

// test_taskgroup_19: the body's error (raised while it is cancelled by the group) and the
// child's error are both collected.
TEST_P(TaskGroup, BodyFinallyErrorAndChildError) {
    run([&]() -> asyncio::Coro<> {
        asyncio::Task<> r = asyncio::create_task(coro([&]() -> asyncio::Coro<> {
            co_await asyncio::async_with(asyncio::TaskGroup(), [&](asyncio::TaskGroup& g) -> asyncio::Coro<> {
                g.create_task(raise_after<ZeroDivisionError>(0.001));
                try {  // nested()
                    co_await asyncio::sleep(10);
                } catch (...) {
                }
                throw MyExc();
            });
        }));
        std::exception_ptr e = co_await error_of(r);
        EXPECT_THAT(types(e), UnorderedElementsAre("MyExc", "ZeroDivisionError"));
        // The body's error is appended after the children's (taskgroups.py _aexit).
        EXPECT_EQ(type_name(first_sub(e)), "ZeroDivisionError");
    }());
}

// test_taskgroup_20a: a BaseException that is not KeyboardInterrupt/SystemExit is collected
// (CPython: in a BaseExceptionGroup).
TEST_P(TaskGroup, BaseExceptionFromBodyIsCollected) {
    run([&]() -> asyncio::Coro<> {
        std::exception_ptr e = co_await error_of(
            asyncio::async_with(asyncio::TaskGroup(), [&](asyncio::TaskGroup& g) -> asyncio::Coro<> {
                g.create_task(raise_after<ZeroDivisionError>(0.001));
                try {
                    co_await asyncio::sleep(10);
                } catch (...) {
                }
                throw MyBaseExc();
            }));
        EXPECT_THAT(types(e), UnorderedElementsAre("MyBaseExc", "ZeroDivisionError"));
    }());
}

// test_taskgroup_21a
TEST_P(TaskGroup, BaseExceptionFromChildIsCollected) {
    run([&]() -> asyncio::Coro<> {
        std::exception_ptr e = co_await error_of(
            asyncio::async_with(asyncio::TaskGroup(), [&](asyncio::TaskGroup& g) -> asyncio::Coro<> {
                g.create_task(raise_after<MyBaseExc>(0.001));
                try {
                    co_await asyncio::sleep(10);
                } catch (...) {
                }
                throw TypeError();
            }));
        EXPECT_THAT(types(e), UnorderedElementsAre("MyBaseExc", "TypeError"));
    }());
}

// ---- KeyboardInterrupt propagates as itself

// test_taskgroup_20, plus gh-135736 (taskgroups.py on main): the child's error that the
// KeyboardInterrupt displaces goes to the loop's exception handler instead of being lost.
TEST_P(TaskGroup, KeyboardInterruptFromBodyPropagates) {
    run([&]() -> asyncio::Coro<> {
        std::exception_ptr e = co_await error_of(
            asyncio::async_with(asyncio::TaskGroup(), [&](asyncio::TaskGroup& g) -> asyncio::Coro<> {
                g.create_task(raise_after<ZeroDivisionError>(0.001));
                try {
                    co_await asyncio::sleep(10);
                } catch (...) {
                }
                throw KeyboardInterrupt();
            }));
        EXPECT_EQ(type_name(e), "KeyboardInterrupt");
        // CPython raises the base error before its uncancel(): the group's request stays.
        EXPECT_EQ(asyncio::current_task().cancelling(), 1);
    }());
    ASSERT_EQ(reports_.messages.size(), 1u);
    EXPECT_EQ(reports_.messages[0],
              "TaskGroup task exception was not propagated because the TaskGroup body is being closed with a "
              "BaseException");
    EXPECT_EQ(type_name(reports_.exceptions[0]), "ZeroDivisionError");
    reports_ = {};
}

// _test_taskgroup_21 (disabled in CPython, whose loop itself stops on a KeyboardInterrupt
// raised by a task; concurrence's tasks keep it, and the group re-raises it as itself).
TEST_P(TaskGroup, KeyboardInterruptFromChildPropagates) {
    run([&]() -> asyncio::Coro<> {
        std::exception_ptr e = co_await error_of(
            asyncio::async_with(asyncio::TaskGroup(), [&](asyncio::TaskGroup& g) -> asyncio::Coro<> {
                g.create_task(raise_after<KeyboardInterrupt>(0.001));
                try {
                    co_await asyncio::sleep(10);
                } catch (...) {
                }
                throw TypeError();
            }));
        EXPECT_EQ(type_name(e), "KeyboardInterrupt");
        EXPECT_EQ(asyncio::current_task().cancelling(), 1);  // as in test_taskgroup_20
    }());
}

// ---- with asyncio.timeout

// test_exception_refcycles_propagate_cancellation_error (its rule, not the refcount): the
// group propagates the deadline's CancelledError, which the timeout turns into TimeoutError.
TEST_P(TaskGroup, GroupInsideExpiredTimeout) {
    run([&]() -> asyncio::Coro<> {
        std::exception_ptr e = co_await error_of(asyncio::async_with(asyncio::timeout(-1), [&]() -> asyncio::Coro<> {
            co_await asyncio::async_with(asyncio::TaskGroup(), [&]() -> asyncio::Coro<> {
                co_await asyncio::sleep(0);
            });
        }));
        EXPECT_TRUE(holds<concurrence::TimeoutError>(e)) << type_name(e);
        EXPECT_EQ(asyncio::current_task().cancelling(), 0);
    }());
}

// A deadline inside the body: the TimeoutError leaves the timeout block as the body's error,
// so the group cancels its tasks and raises ExceptionGroup([TimeoutError]).
TEST_P(TaskGroup, TimeoutInsideBodyIsABodyError) {
    run([&]() -> asyncio::Coro<> {
        asyncio::Task<> child;
        std::exception_ptr e = co_await error_of(
            asyncio::async_with(asyncio::TaskGroup(), [&](asyncio::TaskGroup& g) -> asyncio::Coro<> {
                child = g.create_task(nap(10));
                co_await asyncio::async_with(asyncio::timeout(0.001), [&]() -> asyncio::Coro<> {
                    co_await asyncio::sleep(10);
                });
            }));
        EXPECT_EQ(types(e).size(), 1u);
        try {
            if (e) std::rethrow_exception(e);
        } catch (const ExceptionGroup& eg) {
            EXPECT_EQ(eg.matching<concurrence::TimeoutError>().size(), 1u);
        } catch (...) {
        }
        EXPECT_TRUE(child.cancelled());
        EXPECT_EQ(asyncio::current_task().cancelling(), 0);
    }());
}

// A group that outlives a deadline around it: the children's cleanup still runs, and the
// block ends with TimeoutError, not CancelledError.
TEST_P(TaskGroup, TimeoutAroundGroupWaitsForChildren) {
    run([&]() -> asyncio::Coro<> {
        Log log;
        std::exception_ptr e = co_await error_of(asyncio::async_with(asyncio::timeout(0.001), [&]() -> asyncio::Coro<> {
            co_await asyncio::async_with(asyncio::TaskGroup(), [&](asyncio::TaskGroup& g) -> asyncio::Coro<> {
                g.create_task(slow_cleanup(&log, "child"));
                co_return;
            });
        }));
        EXPECT_TRUE(holds<concurrence::TimeoutError>(e)) << type_name(e);
        EXPECT_THAT(log, ElementsAre("child cleanup", "child cleaned"));
        EXPECT_EQ(asyncio::current_task().cancelling(), 0);
    }());
}

// ---- nested groups

// test_taskgroup_13: the outer group's child fails; the inner group is cancelled
TEST_P(TaskGroup, OuterChildErrorCancelsInnerGroup) {
    run([&]() -> asyncio::Coro<> {
        asyncio::Task<> inner_child;
        asyncio::Task<> r = asyncio::create_task(coro([&]() -> asyncio::Coro<> {
            co_await asyncio::async_with(asyncio::TaskGroup(), [&](asyncio::TaskGroup& g1) -> asyncio::Coro<> {
                g1.create_task(crash_after(0.001));
                co_await asyncio::async_with(asyncio::TaskGroup(), [&](asyncio::TaskGroup& g2) -> asyncio::Coro<> {
                    inner_child = g2.create_task(crash_after(10));
                    co_return;
                });
            });
        }));
        std::exception_ptr e = co_await error_of(r);
        EXPECT_THAT(types(e), ElementsAre("ValueError"));
        EXPECT_TRUE(inner_child.cancelled());
    }());
}

// test_taskgroup_14: the inner group's error reaches the outer group as an ExceptionGroup
TEST_P(TaskGroup, InnerGroupErrorIsNestedInOuterGroup) {
    run([&]() -> asyncio::Coro<> {
        asyncio::Task<> outer_child;
        asyncio::Task<> r = asyncio::create_task(coro([&]() -> asyncio::Coro<> {
            co_await asyncio::async_with(asyncio::TaskGroup(), [&](asyncio::TaskGroup& g1) -> asyncio::Coro<> {
                outer_child = g1.create_task(crash_after(10));
                co_await asyncio::async_with(asyncio::TaskGroup(), [&](asyncio::TaskGroup& g2) -> asyncio::Coro<> {
                    g2.create_task(crash_after(0.001));
                    co_return;
                });
            });
        }));
        std::exception_ptr e = co_await error_of(r);
        EXPECT_THAT(types(e), ElementsAre("ExceptionGroup"));
        EXPECT_THAT(types(first_sub(e)), ElementsAre("ValueError"));
        EXPECT_EQ(what_of(first_sub(first_sub(e))), "0.001000");
        EXPECT_TRUE(outer_child.cancelled());
    }());
}

// ---- entering, finishing, create_task refused

// test_taskgroup_not_entered
TEST_P(TaskGroup, CreateTaskBeforeEnterIsRefused) {
    run([&]() -> asyncio::Coro<> {
        asyncio::TaskGroup tg;
        std::string message;
        try {
            tg.create_task(nap(0));
        } catch (const RuntimeError& refusal) {
            message = refusal.what();
        }
        EXPECT_EQ(message, "TaskGroup <TaskGroup> has not been entered");
        co_return;
    }());
}

// test_taskgroup_finished: refused, and the coroutine is closed (no "never awaited" report)
TEST_P(TaskGroup, CreateTaskAfterExitIsRefused) {
    run([&]() -> asyncio::Coro<> {
        asyncio::TaskGroup tg;
        co_await asyncio::async_with(tg, []() -> asyncio::Coro<> { co_return; });
        std::string message;
        try {
            tg.create_task(nap(0));
        } catch (const RuntimeError& refusal) {
            message = refusal.what();
        }
        EXPECT_EQ(message, "TaskGroup <TaskGroup entered> is finished");
    }());
}

// test_coro_closed_when_tg_closed: the same after an `async with ... as tg` block
TEST_P(TaskGroup, CoroClosedWhenGroupClosed) {
    run([&]() -> asyncio::Coro<> {
        co_await coro([]() -> asyncio::Coro<> {  // run_coro_after_tg_closes()
            asyncio::TaskGroup tg;
            co_await asyncio::async_with(tg, [](asyncio::TaskGroup& g) -> asyncio::Coro<> {
                EXPECT_EQ(g.repr(), "<TaskGroup entered>");
                co_return;
            });
            EXPECT_THAT([&] { tg.create_task(nap(0)); },
                        testing::ThrowsMessage<RuntimeError>(HasSubstr("is finished")));
        });
    }());
}

// create_task's checks in taskgroups.py, in order: a group whose exit failed is "finished"
// (not "shutting down") once its tasks are done; its repr still says "cancelling".
TEST_P(TaskGroup, CreateTaskAfterFailedExitIsRefused) {
    run([&]() -> asyncio::Coro<> {
        asyncio::TaskGroup tg;
        std::exception_ptr e = co_await error_of(asyncio::async_with(tg, [](asyncio::TaskGroup& g) -> asyncio::Coro<> {
            g.create_task(raise_after<MyExc>(0));
            co_return;
        }));
        EXPECT_THAT(types(e), ElementsAre("MyExc"));
        std::string message;
        try {
            tg.create_task(nap(0));
        } catch (const RuntimeError& refusal) {
            message = refusal.what();
        }
        EXPECT_EQ(message, "TaskGroup <TaskGroup cancelling> is finished");
    }());
}

// test_taskgroup_already_entered
TEST_P(TaskGroup, EnteringAnEnteredGroupIsRefused) {
    run([&]() -> asyncio::Coro<> {
        asyncio::TaskGroup tg;
        std::string message;
        bool inner_body_ran = false;
        co_await asyncio::async_with(tg, [&]() -> asyncio::Coro<> {
            std::exception_ptr e = co_await error_of(asyncio::async_with(tg, [&]() -> asyncio::Coro<> {
                inner_body_ran = true;
                co_return;
            }));
            message = what_of(e);
            EXPECT_TRUE(holds<RuntimeError>(e));
        });
        EXPECT_EQ(message, "TaskGroup <TaskGroup entered> has already been entered");
        EXPECT_FALSE(inner_body_ran);
    }());
}

// test_taskgroup_double_enter
TEST_P(TaskGroup, EnteringAFinishedGroupIsRefused) {
    run([&]() -> asyncio::Coro<> {
        asyncio::TaskGroup tg;
        co_await asyncio::async_with(tg, []() -> asyncio::Coro<> { co_return; });
        std::exception_ptr e = co_await error_of(asyncio::async_with(tg, []() -> asyncio::Coro<> { co_return; }));
        EXPECT_TRUE(holds<RuntimeError>(e));
        EXPECT_EQ(what_of(e), "TaskGroup <TaskGroup entered> has already been entered");
    }());
}

// test_taskgroup_without_parent_task: __aenter__ outside a task (await_without_task)
TEST_P(TaskGroup, EnterWithoutParentTaskIsRefused) {
    asyncio::EventLoop loop;
    if (GetParam() == Factory::eager) loop.set_task_factory(asyncio::eager_task_factory);
    loop.set_debug(true);
    loop.set_exception_handler(semantic::record_into(&reports_));
    std::string enter_message, create_message;
    {
        asyncio::TaskGroup tg;
        loop.call_soon([&] {
            try {
                tg.aenter();
            } catch (const RuntimeError& refusal) {
                enter_message = refusal.what();
            }
            try {
                tg.create_task(nap(0));
            } catch (const RuntimeError& refusal) {
                create_message = refusal.what();
            }
            loop.stop();
        });
        loop.run_forever();
    }
    EXPECT_EQ(enter_message, "TaskGroup <TaskGroup> cannot determine the parent task");
    EXPECT_EQ(create_message, "TaskGroup <TaskGroup> has not been entered");
}

}  // namespace

// asyncio.subprocess.Process: the handle's methods (wait, communicate, signals).
#include <signal.h>

#include "concurrence/base/os_error.hpp"
#include "concurrence/flow/gather.hpp"
#include "concurrence/process/subprocess.hpp"
#include "process/child_watch.hpp"

namespace concurrence::asyncio::subprocess {

namespace {

// Python's _feed_stdin: a child that stops reading early is not an error.
Coro<bool> feed_stdin(std::optional<StreamWriter> in, std::optional<std::string> input) {
    if (!in) co_return false;
    try {
        if (input) in->write(*input);
        co_await in->drain();
    } catch (const BrokenPipeError&) {
    } catch (const ConnectionResetError&) {
    }
    in->close();
    co_return true;
}

// Python's _read_stream: everything to EOF (None without a pipe).
Coro<std::optional<std::string>> read_to_end(std::optional<StreamReader> out) {
    if (!out) co_return std::nullopt;
    co_return co_await out->read();
}

Coro<std::pair<std::optional<std::string>, std::optional<std::string>>> communicate_with(
    Process proc, std::optional<std::string> input) {
    auto fed = feed_stdin(proc.stdin, std::move(input));
    auto out = read_to_end(proc.stdout);
    auto err = read_to_end(proc.stderr);
    auto [ignored, out_data, err_data] = co_await gather(std::move(fed), std::move(out), std::move(err));
    (void)ignored;
    co_await proc.wait();
    co_return std::pair{std::move(out_data), std::move(err_data)};
}

}  // namespace

Process::Process(std::shared_ptr<detail::ChildWatch> watch) : pid(watch->pid()), watch_(std::move(watch)) {}

std::optional<int> Process::returncode() const { return watch_->returncode(); }

Coro<int> Process::wait() { return detail::wait_for_exit(watch_); }

Coro<std::pair<std::optional<std::string>, std::optional<std::string>>> Process::communicate(
    std::optional<std::string> input) {
    return communicate_with(*this, std::move(input));
}

void Process::send_signal(int sig) { watch_->send_signal(sig); }
void Process::terminate() { watch_->send_signal(SIGTERM); }
void Process::kill() { watch_->send_signal(SIGKILL); }

}  // namespace concurrence::asyncio::subprocess

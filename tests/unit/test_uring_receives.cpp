// White-box: the io_uring poller's completion receives, multishot (the default) and one-shot
// (what a kernel before 6.0 gets), driven directly on a socket pair: the reads come in the
// stream's order, each receive ends once (at the end of the stream, on cancel, when the pool
// runs dry), a dry pool loses nothing, and a stopped receive reports nothing more.
#include <gtest/gtest.h>

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <string>
#include <vector>

#include "concurrence/base/os_error.hpp"
#include "io/poller.hpp"

namespace {

using concurrence::io::Poller;

// What a receive reported, in order.
struct UrrReport {
    int result;
    std::string data;
    bool more;
};

struct UrrSink final : concurrence::io::ReceiveSink {
    Poller* poller = nullptr;
    bool release = true;  // give each buffer back at once (false: keep them all)
    std::vector<UrrReport> reports;
    std::vector<std::uint16_t> kept;
    void received(int result, std::uint16_t buffer, bool more) override {
        std::string data;
        if (result > 0) {
            data.assign(poller->receive_buffer(buffer), static_cast<std::size_t>(result));
            if (release)
                poller->release_receive_buffer(buffer);
            else
                kept.push_back(buffer);
        }
        reports.push_back(UrrReport{result, std::move(data), more});
    }
    bool ended() const { return !reports.empty() && !reports.back().more; }
    std::string all_data() const {
        std::string s;
        for (const auto& r : reports) s += r.data;
        return s;
    }
};

class UringReceives : public ::testing::TestWithParam<bool> {
protected:
    void SetUp() override {
        try {
            poller_ = concurrence::io::make_uring_poller(/*one_shot_receives=*/GetParam());
        } catch (const concurrence::OSError&) {
            GTEST_SKIP() << "io_uring refused here";
        }
        if (!poller_->receives_completions()) GTEST_SKIP() << "no provided-buffer rings (Linux < 5.19)";
        ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds_), 0);
        sink_.poller = poller_.get();
    }
    void TearDown() override {
        if (poller_ && fds_[0] >= 0) poller_->stop_receive(fds_[0]);
        poller_.reset();  // before the sockets: the poller waits for its receives' ends
        for (int fd : fds_)
            if (fd >= 0) ::close(fd);
    }
    bool one_shot() const { return GetParam(); }
    void send(const std::string& data) { ASSERT_EQ(::write(fds_[1], data.data(), data.size()), static_cast<ssize_t>(data.size())); }
    // Polls until the sink has `count` reports (or the receive ended), at most ~5 s.
    void poll_until(std::size_t count) {
        for (int i = 0; i < 500 && sink_.reports.size() < count && !(sink_.ended() && !restart_); ++i) {
            poller_->poll(10'000'000);
            if (restart_ && sink_.ended() && sink_.reports.size() < count) poller_->start_receive(fds_[0], &sink_);
        }
    }

    std::unique_ptr<Poller> poller_;
    int fds_[2] = {-1, -1};
    UrrSink sink_;
    bool restart_ = false;  // one-shot: arm the next receive after each end, as a transport does
};

TEST_P(UringReceives, ReadsComeInOrderAndAReceiveGoesOnUntilItEnds) {
    restart_ = true;
    poller_->start_receive(fds_[0], &sink_);
    send("first");
    poll_until(1);
    ASSERT_EQ(sink_.reports.size(), 1u);
    EXPECT_EQ(sink_.reports[0].data, "first");
    // Multishot: the receive is still in the kernel; one-shot: it ended with its read.
    EXPECT_EQ(sink_.reports[0].more, !one_shot());
    send("second");
    poll_until(2);
    EXPECT_EQ(sink_.all_data(), "firstsecond");
}

TEST_P(UringReceives, TheEndOfTheStreamEndsTheReceive) {
    poller_->start_receive(fds_[0], &sink_);
    send("last words");
    ::shutdown(fds_[1], SHUT_WR);
    restart_ = true;
    poll_until(2);
    ASSERT_GE(sink_.reports.size(), 2u);
    EXPECT_EQ(sink_.all_data(), "last words");
    EXPECT_EQ(sink_.reports.back().result, 0);
    EXPECT_FALSE(sink_.reports.back().more);
}

TEST_P(UringReceives, ACancelledReceiveEndsOnceWithECANCELED) {
    poller_->start_receive(fds_[0], &sink_);
    poller_->cancel_receive(fds_[0]);
    poller_->cancel_receive(fds_[0]);  // a second cancel is ignored
    poll_until(1);
    ASSERT_EQ(sink_.reports.size(), 1u);
    EXPECT_EQ(sink_.reports[0].result, -ECANCELED);
    EXPECT_FALSE(sink_.reports[0].more);
    // Over: the descriptor may have a new receive, which gets what comes next.
    sink_.reports.clear();
    poller_->start_receive(fds_[0], &sink_);
    send("after");
    poll_until(1);
    EXPECT_EQ(sink_.all_data(), "after");
}

TEST_P(UringReceives, ADryPoolEndsTheReceiveWithENOBUFSAndLosesNothing) {
    // The sink keeps every buffer: after the pool's last one, the kernel has nowhere to read.
    sink_.release = false;
    restart_ = true;
    poller_->start_receive(fds_[0], &sink_);
    std::string sent;
    const std::string chunk(Poller::receive_buffer_size, 'x');
    for (int i = 0; i < 400 && !(!sink_.reports.empty() && sink_.reports.back().result == -ENOBUFS); ++i) {
        std::string piece = chunk;
        piece[0] = static_cast<char>('a' + i % 26);  // each chunk marked: order is checked
        if (::write(fds_[1], piece.data(), piece.size()) == static_cast<ssize_t>(piece.size())) sent += piece;
        poller_->poll(0);
        if (sink_.ended() && sink_.reports.back().result != -ENOBUFS) poller_->start_receive(fds_[0], &sink_);
    }
    ASSERT_FALSE(sink_.reports.empty());
    EXPECT_EQ(sink_.reports.back().result, -ENOBUFS);
    EXPECT_FALSE(sink_.reports.back().more);
    // The buffers go back; a new receive reads what waited in the socket, in order.
    for (std::uint16_t b : sink_.kept) poller_->release_receive_buffer(b);
    sink_.kept.clear();
    sink_.release = true;
    std::string got = sink_.all_data();
    sink_.reports.clear();
    const std::size_t missing = sent.size() - got.size();
    if (missing > 0) {
        poller_->start_receive(fds_[0], &sink_);
        for (int i = 0; i < 500 && sink_.all_data().size() < missing; ++i) {
            poller_->poll(10'000'000);
            if (sink_.ended() && sink_.all_data().size() < missing) poller_->start_receive(fds_[0], &sink_);
        }
        got += sink_.all_data();
    }
    EXPECT_EQ(got.size(), sent.size());
    EXPECT_TRUE(got == sent) << "the stream's order was not kept";
}

TEST_P(UringReceives, AStoppedReceiveReportsNothingMore) {
    poller_->start_receive(fds_[0], &sink_);
    poller_->stop_receive(fds_[0]);
    send("dropped?");
    for (int i = 0; i < 5; ++i) poller_->poll(1'000'000);
    EXPECT_TRUE(sink_.reports.empty());
    // The descriptor is free for a new receive, which gets what the old one did not take.
    restart_ = true;
    poller_->start_receive(fds_[0], &sink_);
    send("kept!");
    for (int i = 0; i < 500 && sink_.all_data().find("kept!") == std::string::npos; ++i) {
        poller_->poll(10'000'000);
        if (sink_.ended()) poller_->start_receive(fds_[0], &sink_);
    }
    const std::string got = sink_.all_data();
    // What the stopped receive took before it went is gone; nothing is duplicated or reordered.
    EXPECT_TRUE(got == "kept!" || got == "dropped?kept!") << got;
}

TEST_P(UringReceives, OneReceiveAtATimePerDescriptor) {
    poller_->start_receive(fds_[0], &sink_);
    try {
        poller_->start_receive(fds_[0], &sink_);
        ADD_FAILURE() << "a second receive was accepted";
    } catch (const concurrence::OSError& e) {
        EXPECT_EQ(e.errno_code(), EEXIST);
    }
}

INSTANTIATE_TEST_SUITE_P(Receives, UringReceives, ::testing::Values(false, true),
                         [](const ::testing::TestParamInfo<bool>& p) { return p.param ? "OneShot" : "Multishot"; });

}  // namespace

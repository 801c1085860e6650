package dev.jamesmtasts.reporting;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import dev.jamesmtasts.tlsrpt.AppliedPolicy;
import dev.jamesmtasts.tlsrpt.FailureDetail;
import dev.jamesmtasts.tlsrpt.ResultType;
import dev.jamesmtasts.tlsrpt.SessionResult;

/** Session results and a settable clock for the reporting tests. */
final class Results {
    private Results() {
    }

    static AppliedPolicy sts(String domain) {
        return AppliedPolicy.sts(domain, "version: STSv1\r\nmode: enforce\r\nmx: mx." + domain + "\r\nmax_age: 86400\r\n",
                List.of("mx." + domain));
    }

    static FailureDetail detail(ResultType t, String mx) {
        return new FailureDetail(t, "127.0.0.9", mx, null, "127.0.0.10", null, null);
    }

    static SessionResult ok(AppliedPolicy p) {
        return SessionResult.success(p);
    }

    static SessionResult failed(AppliedPolicy p, ResultType t) {
        return SessionResult.failure(p, detail(t, "mx." + p.policyDomain()));
    }

    /** A clock the test sets and moves. */
    static final class TestClock extends Clock {
        private final AtomicLong millis;

        TestClock(Instant start) {
            millis = new AtomicLong(start.toEpochMilli());
        }

        void advance(Duration d) {
            millis.addAndGet(d.toMillis());
        }

        void set(Instant t) {
            millis.set(t.toEpochMilli());
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public long millis() {
            return millis.get();
        }

        @Override
        public Instant instant() {
            return Instant.ofEpochMilli(millis.get());
        }
    }
}

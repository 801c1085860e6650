package dev.jamesmtasts.bench;

import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import dev.jamesmtasts.mtasts.StsPolicy;
import dev.jamesmtasts.mtasts.StsRecord;
import dev.jamesmtasts.mtasts.StsSyntaxException;

/**
 * Policy and record parsing, and MX matching: the protocol pieces on the delivery path.
 * Run with {@code bin/bench jmh ProtocolBenchmark}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class ProtocolBenchmark {
    static final String POLICY = "version: STSv1\r\nmode: enforce\r\nmx: mail.example.com\r\nmx: *.example.net\r\n"
            + "mx: backupmx.example.com\r\nmax_age: 604800\r\n";
    static final String RECORD = "v=STSv1; id=20160831085700Z;";

    StsPolicy policy;
    String hostFirst = "mail.example.com";
    String hostWildcard = "MX7.Example.NET.";
    String hostMiss = "impostor.attacker.example";

    @Setup
    public void setup() throws StsSyntaxException {
        policy = StsPolicy.parse(POLICY);
    }

    @Benchmark
    public StsPolicy parsePolicy() throws StsSyntaxException {
        return StsPolicy.parse(POLICY);
    }

    @Benchmark
    public StsRecord parseRecord() throws StsSyntaxException {
        return StsRecord.parse(RECORD);
    }

    @Benchmark
    public boolean matchFirstPattern() {
        return policy.matchesMx(hostFirst);
    }

    @Benchmark
    public boolean matchWildcardPattern() {
        return policy.matchesMx(hostWildcard);
    }

    @Benchmark
    public boolean matchNoPattern() {
        return policy.matchesMx(hostMiss);
    }
}

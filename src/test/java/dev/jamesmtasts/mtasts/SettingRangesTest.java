package dev.jamesmtasts.mtasts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;

/** The pieces the settings builders and the configuration reader share: ranges, their error, host:port. */
class SettingRangesTest {
    @Test
    void anIntRangeChecksBothEndsAndSaysWhatItAllows() {
        IntRange r = IntRange.between(1, 65535);
        assertThat(r.check("policyPort", 1)).isEqualTo(1);
        assertThat(r.check("policyPort", 65535)).isEqualTo(65535);
        assertThat(r.describe()).isEqualTo("from 1 to 65535");
        assertThatThrownBy(() -> r.check("policyPort", 0)).isInstanceOf(SettingException.class)
                .hasMessage("policyPort must be from 1 to 65535");
        assertThatThrownBy(() -> r.check("policyPort", 65536)).isInstanceOf(SettingException.class);
        IntRange open = IntRange.atLeast(1);
        assertThat(open.describe()).isEqualTo("at least 1");
        assertThat(open.check("n", Integer.MAX_VALUE)).isEqualTo(Integer.MAX_VALUE);
        assertThatThrownBy(() -> IntRange.between(2, 1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aDurationRangeChecksItsLowerEndAndNull() {
        assertThat(DurationRange.positive().describe()).isEqualTo("greater than 0");
        assertThat(DurationRange.positive().check("t", Duration.ofMillis(1))).isEqualTo(Duration.ofMillis(1));
        assertThatThrownBy(() -> DurationRange.positive().check("t", Duration.ZERO)).isInstanceOf(SettingException.class)
                .hasMessage("t must be greater than 0");
        assertThat(DurationRange.nonNegative().describe()).isEqualTo("0 or more");
        assertThat(DurationRange.nonNegative().check("t", Duration.ZERO)).isZero();
        assertThatThrownBy(() -> DurationRange.nonNegative().check("t", Duration.ofSeconds(-1)))
                .isInstanceOf(SettingException.class);
        DurationRange second = DurationRange.atLeast(Duration.ofSeconds(1));
        assertThat(second.describe()).isEqualTo("at least 1s");
        assertThat(DurationRange.atLeast(Duration.ofMillis(1500)).describe()).isEqualTo("at least 1500ms");
        assertThatThrownBy(() -> second.check("leaseTtl", Duration.ofMillis(999))).hasMessage("leaseTtl must be at least 1s");
        assertThatThrownBy(() -> second.check("leaseTtl", null)).isInstanceOf(SettingException.class)
                .hasMessage("leaseTtl must be given");
    }

    @Test
    void aSettingExceptionKeepsTheSettingAndTheRequirementApart() {
        SettingException e = new SettingException("nearCacheSize", "must be at least 1");
        assertThat(e.setting()).isEqualTo("nearCacheSize");
        assertThat(e.requirement()).isEqualTo("must be at least 1");
        assertThat(e).isInstanceOf(IllegalArgumentException.class).hasMessage("nearCacheSize must be at least 1");
    }

    @Test
    void hostPortReadsEveryFormWithoutResolving() {
        assertThat(show(HostPort.parse("cass1", 9042))).isEqualTo("cass1:9042");
        assertThat(show(HostPort.parse(" 10.0.0.1:9043 ", 9042))).isEqualTo("10.0.0.1:9043");
        assertThat(show(HostPort.parse("[::1]:53", 5353))).isEqualTo("::1:53");
        assertThat(show(HostPort.parse("[::1]", 53))).isEqualTo("::1:53");
        assertThat(show(HostPort.parse("::1", 53))).isEqualTo("::1:53");
        assertThat(HostPort.parse("no-such-host.invalid", 53).isUnresolved()).isTrue();
        assertThat(HostPort.parseList(" ", 53)).isEmpty();
        assertThat(HostPort.parseList("a, b:54", 53).stream().map(SettingRangesTest::show).collect(Collectors.toList()))
                .containsExactly("a:53", "b:54");
    }

    @Test
    void hostPortSaysWhatIsWrong() {
        for (String bad : List.of("", "h:0", "h:65536", "h:x", "h:", "[::1", "[::1]x", ":53")) {
            assertThatThrownBy(() -> HostPort.parse(bad, 53)).as(bad).isInstanceOf(IllegalArgumentException.class);
        }
        assertThatThrownBy(() -> HostPort.parseList("a,,b", 53)).hasMessageContaining("empty entry");
        assertThatThrownBy(() -> HostPort.parse("h:0", 53)).hasMessageContaining("from 1 to 65535");
    }

    private static String show(InetSocketAddress a) {
        return a.getHostString() + ":" + a.getPort();
    }
}

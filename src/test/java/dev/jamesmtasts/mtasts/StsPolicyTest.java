package dev.jamesmtasts.mtasts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import dev.jamesmtasts.mtasts.StsPolicy.Mode;

/** RFC 8461 §3.2: the policy body (checklist §3 and the §8 policy vectors). */
class StsPolicyTest {

    private static final String VALID = "version: STSv1\nmode: enforce\nmx: mx.example.com\nmax_age: 86400\n";

    @Test
    void parsesThePublicVectorWithTabsCrlfAndExtensions() throws Exception {
        StsPolicy p = StsPolicy.parse("version:STSv1\r\nmode:\tenforce\r\nmx:  \t\t *.example.com\nmax_age: 1\nmore:ext e  ns ion");
        assertThat(p.mode()).isEqualTo(Mode.ENFORCE);
        assertThat(p.mx()).extracting(MxPattern::toString).containsExactly("*.example.com");
        assertThat(p.maxAgeSeconds()).isEqualTo(1);
        assertThat(p.extensions()).containsExactly("more: ext e  ns ion");
    }

    @Test
    void parsesTheRfcExample() throws Exception {
        StsPolicy p = StsPolicy.parse("version: STSv1\nmode: enforce\nmx: mail.example.com\nmx: *.example.net\n"
                + "mx: backupmx.example.com\nmax_age: 604800\n");
        assertThat(p.mx()).hasSize(3);
        assertThat(p.matchesMx("mail.example.com")).isTrue();
        assertThat(p.matchesMx("foo.example.net")).isTrue();
        assertThat(p.matchesMx("backupmx.example.com")).isTrue();
        assertThat(p.matchesMx("evil.example.com")).isFalse();
        assertThat(p.maxAgeSeconds()).isEqualTo(604800);
        assertThat(p.maxAgeClamped()).isFalse();
    }

    @Test
    void keepsTheRawText() throws Exception {
        assertThat(StsPolicy.parse(VALID).text()).isEqualTo(VALID);
    }

    @Test
    void toleratesTrailingWhitespaceAndBlankLines() throws Exception {
        StsPolicy p = StsPolicy.parse("version: STSv1  \r\nmode: testing\t\r\n\r\nmx: mx.example.com \nmax_age: 5\n\n");
        assertThat(p.mode()).isEqualTo(Mode.TESTING);
        assertThat(p.maxAgeSeconds()).isEqualTo(5);
    }

    @Test
    void firstOccurrenceOfARepeatedKeyWins() throws Exception {
        StsPolicy p = StsPolicy.parse("version: STSv1\nmode: testing\nmode: enforce\nmx: a.example\n"
                + "max_age: 10\nmax_age: 20\nversion: STSv2\nmode: doubt\n");
        assertThat(p.mode()).isEqualTo(Mode.TESTING);
        assertThat(p.maxAgeSeconds()).isEqualTo(10);
    }

    @Test
    void mxIsTheOnlyKeyThatAccumulates() throws Exception {
        StsPolicy p = StsPolicy.parse("version: STSv1\nmode: enforce\nmx: a.example\nmx: b.example\nmax_age: 10\n");
        assertThat(p.mx()).extracting(MxPattern::toString).containsExactly("a.example", "b.example");
    }

    @Test
    void modeNoneNeedsNoMx() throws Exception {
        StsPolicy p = StsPolicy.parse("version: STSv1\nmode: none\nmax_age: 86400\n");
        assertThat(p.mode()).isEqualTo(Mode.NONE);
        assertThat(p.mx()).isEmpty();
    }

    @Test
    void testingWithoutMxIsInvalidToo() {
        assertThatThrownBy(() -> StsPolicy.parse("version: STSv1\nmode: testing\nmax_age: 86400\n"))
                .isInstanceOf(StsSyntaxException.class).hasMessageContaining("at least one mx");
    }

    @Test
    void maxAgeAboveOneYearIsClampedNotRejected() throws Exception {
        StsPolicy p = StsPolicy.parse("version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 9999999999\n");
        assertThat(p.maxAgeSeconds()).isEqualTo(StsPolicy.MAX_AGE_LIMIT);
        assertThat(p.maxAgeClamped()).isTrue();
        assertThat(StsPolicy.parse("version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 31557600\n").maxAgeClamped())
                .isFalse();
    }

    @Test
    void maxAgeZeroAndLeadingZerosWithinTenDigitsAreValid() throws Exception {
        assertThat(StsPolicy.parse("version: STSv1\nmode: none\nmax_age: 0\n").maxAgeSeconds()).isZero();
        assertThat(StsPolicy.parse("version: STSv1\nmode: none\nmax_age: 0000000042\n").maxAgeSeconds()).isEqualTo(42);
    }

    @ParameterizedTest
    @ValueSource(strings = {
        // each required key missing in turn
        "mode: enforce\nmx: a.example\nmax_age: 1\n",
        "version: STSv1\nmx: a.example\nmax_age: 1\n",
        "version: STSv1\nmode: enforce\nmx: a.example\n",
        // enforce without mx
        "version: STSv1\nmode: enforce\nmax_age: 1\n",
        // max_age of eleven digits, not digits, negative, empty
        "version: STSv1\nmode: enforce\nmx: a.example\nmax_age:01234567890\n",
        "version: STSv1\nmode: enforce\nmx: a.example\nmax_age: xxx\n",
        "version: STSv1\nmode: enforce\nmx: a.example\nmax_age: -1\n",
        "version: STSv1\nmode: enforce\nmx: a.example\nmax_age:\n",
        "version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 1 2\n",
        // bad mode and version values; mode is case-sensitive
        "version: STSv1\nmode: doubt\nmx: a.example\nmax_age: 1\n",
        "version: STSv1\nmode: Enforce\nmx: a.example\nmax_age: 1\n",
        "version: STSv2\nmode: enforce\nmx: a.example\nmax_age: 1\n",
        "version: stsv1\nmode: enforce\nmx: a.example\nmax_age: 1\n",
        // bad mx values
        "version: STSv1\nmode: enforce\nmx: *.*.example\nmax_age: 1\n",
        "version: STSv1\nmode: enforce\nmx: **.example\nmax_age: 1\n",
        "version: STSv1\nmode: enforce\nmx: test.example-\nmax_age: 1\n",
        "version: STSv1\nmode: enforce\nmx: m\u00f8x.example\nmax_age: 1\n",
        "version: STSv1\nmode: enforce\nmx:\nmax_age: 1\n",
        // garbage, keys with spaces, control characters
        "garbage",
        "version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 1\ngarbage\n",
        "version : STSv1\nmode: enforce\nmx: a.example\nmax_age: 1\n",
        "version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 1\next: a\u0000b\n",
        "",
    })
    void invalidPoliciesAreRejectedWithAReason(String body) {
        assertThatThrownBy(() -> StsPolicy.parse(body))
                .isInstanceOf(StsSyntaxException.class)
                .hasMessageStartingWith("policy");
    }

    @Test
    void invalidMxMessageNamesTheField() {
        assertThatThrownBy(() -> StsPolicy.parse("version: STSv1\nmode: enforce\nmx: **.example\nmax_age: 1\n"))
                .isInstanceOf(StsSyntaxException.class).hasMessageContaining("**.example");
    }

    @Test
    void builtPoliciesRoundTripThroughTheParser() throws Exception {
        StsPolicy built = StsPolicy.of(Mode.ENFORCE, List.of(MxPattern.parse("*.example.com"), MxPattern.parse("mx.example.net")), 3600);
        StsPolicy reparsed = StsPolicy.parse(built.text());
        assertThat(reparsed).isEqualTo(built);
        assertThat(StsPolicy.of(Mode.NONE, List.of(), 300).mx()).isEmpty();
        assertThatThrownBy(() -> StsPolicy.of(Mode.ENFORCE, List.of(), 300)).isInstanceOf(IllegalArgumentException.class);
    }
}

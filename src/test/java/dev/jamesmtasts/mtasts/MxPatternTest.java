package dev.jamesmtasts.mtasts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** RFC 8461 §4.1: MX host validation (checklist §4). */
class MxPatternTest {

    @Test
    void wildcardCoversExactlyOneLeftmostLabel() throws Exception {
        MxPattern p = MxPattern.parse("*.example.com");
        assertThat(p.matches("mx.example.com")).isTrue();
        assertThat(p.matches("example.com")).isFalse();
        assertThat(p.matches("a.b.example.com")).isFalse();
        assertThat(p.matches("evilexample.com")).isFalse();
        assertThat(p.matches(".example.com")).isFalse();
        assertThat(p.matches("mx.example.com.evil")).isFalse();
    }

    @Test
    void dotsAreNotRegexWildcards() throws Exception {
        // A Java library once turned '*' into ".*" without escaping the dots.
        MxPattern p = MxPattern.parse("*.example.com");
        assertThat(p.matches("mx.exampleXcom")).isFalse();
        assertThat(p.matches("mxXexample.com")).isFalse();
        assertThat(MxPattern.parse("mx.example.com").matches("mxXexample.com")).isFalse();
    }

    @Test
    void exactNamesMatchOnlyThemselves() throws Exception {
        MxPattern p = MxPattern.parse("mx1.example.com");
        assertThat(p.matches("mx1.example.com")).isTrue();
        assertThat(p.matches("mx2.example.com")).isFalse();
        assertThat(p.matches("a.mx1.example.com")).isFalse();
        assertThat(p.matches("example.com")).isFalse();
    }

    @Test
    void matchingIsCaseInsensitiveAndIgnoresATrailingDot() throws Exception {
        assertThat(MxPattern.parse("*.Example.COM").matches("MX.example.com.")).isTrue();
        assertThat(MxPattern.parse("mx.example.com").matches("MX.EXAMPLE.COM.")).isTrue();
        assertThat(MxPattern.parse("MX.example.com").toString()).isEqualTo("mx.example.com");
    }

    @Test
    void nullAndEmptyHostsNeverMatch() throws Exception {
        assertThat(MxPattern.parse("*.example.com").matches(null)).isFalse();
        assertThat(MxPattern.parse("*.example.com").matches("")).isFalse();
        assertThat(MxPattern.parse("example.com").matches(".")).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {"*.*.example", "**.example", "test.example-", "m\u00f8x.example", "*", "*.", "",
        "-a.example", "a..example", "*example.com", "mx.example.com.", "a b.example", "mx_1.example.com"})
    void invalidPatternsAreRejected(String value) {
        assertThatThrownBy(() -> MxPattern.parse(value))
                .isInstanceOf(StsSyntaxException.class)
                .hasMessageStartingWith("mx");
    }

    @Test
    void aLabelsAreAccepted() throws Exception {
        assertThat(MxPattern.parse("xn--mx-0ia.example").matches("XN--MX-0IA.example")).isTrue();
        assertThat(MxPattern.parse("*.xn--mx-0ia.example").isWildcard()).isTrue();
    }
}

package dev.jamesmtasts.mtasts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

/** {@link SafeText}: every class of unsafe character is escaped visibly, and the cap holds. */
class SafeTextTest {

    @ParameterizedTest(name = "C0 U+{0}")
    @CsvSource({"0000,\\x00", "0009,\\x09", "000A,\\x0A", "000D,\\x0D", "001B,\\x1B", "001F,\\x1F"})
    void c0ControlsIncludingNulTabCrLfEscAreEscaped(String hex, String expected) {
        assertThat(SafeText.of("a" + (char) Integer.parseInt(hex, 16) + "b")).isEqualTo("a" + expected + "b");
    }

    @Test
    void delAndC1ControlsAreEscaped() {
        assertThat(SafeText.of("\u007F")).isEqualTo("\\x7F");
        assertThat(SafeText.of("\u0080\u0085\u009B\u009F")).isEqualTo("\\x80\\x85\\x9B\\x9F");
        assertThat(SafeText.of("\u00A0\u00E9")).isEqualTo("\u00A0\u00E9");
    }

    @ParameterizedTest(name = "U+{0}")
    @CsvSource({"061C", "200E", "200F", "202A", "202B", "202C", "202D", "202E", "2066", "2067", "2068", "2069"})
    void bidiControlsAreEscaped(String hex) {
        assertThat(SafeText.of("x" + (char) Integer.parseInt(hex, 16) + "y")).isEqualTo("x\\u" + hex + "y");
    }

    @Test
    void lineAndParagraphSeparatorsAreEscaped() {
        assertThat(SafeText.of("a\u2028b\u2029c")).isEqualTo("a\\u2028b\\u2029c");
    }

    @Test
    void backslashIsEscapedSoThatAnEscapeIsAlwaysAnEscape() {
        assertThat(SafeText.of("\\x0A")).isEqualTo("\\\\x0A");
        assertThat(SafeText.of("\n")).isNotEqualTo(SafeText.of("\\x0A"));
    }

    @Test
    void surrogatePairsStayAndLoneSurrogatesAreEscaped() {
        assertThat(SafeText.of("mail \uD83D\uDCE7")).isEqualTo("mail \uD83D\uDCE7");
        assertThat(SafeText.of("a\uD800b")).isEqualTo("a\\uD800b");
        assertThat(SafeText.of("\uDC00")).isEqualTo("\\uDC00");
    }

    @Test
    void plainTextIsUnchangedAndNullIsShownAsNull() {
        assertThat(SafeText.of("version: STSv1")).isEqualTo("version: STSv1");
        assertThat(SafeText.of(null)).isEqualTo("null");
        assertThat(SafeText.quoted("text/html")).isEqualTo("'text/html'");
    }

    @Test
    void longTextIsCutWithTheEllipsisMarker() {
        String cut = SafeText.of("x".repeat(500));
        assertThat(cut).hasSize(SafeText.DEFAULT_MAX).endsWith(SafeText.ELLIPSIS).startsWith("xxx");
        assertThat(SafeText.of("x".repeat(SafeText.DEFAULT_MAX))).isEqualTo("x".repeat(SafeText.DEFAULT_MAX));
        assertThat(SafeText.of("x".repeat(SafeText.DEFAULT_MAX + 1))).endsWith(SafeText.ELLIPSIS);
    }

    @Test
    void theCutNeverSplitsAnEscapeOrASurrogatePair() {
        assertThat(SafeText.of("abcdef\n\n\n\n", 12)).isEqualTo("abcdef...");
        assertThat(SafeText.of("abcdefgh\uD83D\uDCE7xyz", 12)).isEqualTo("abcdefgh...");
    }

    @Test
    void aCapTooSmallForOneEscapeAndTheMarkerIsRefused() {
        assertThatThrownBy(() -> SafeText.of("x", 8)).isInstanceOf(IllegalArgumentException.class);
    }

    @Property(tries = 2000)
    void outputNeverHasAnUnsafeCharAndNeverExceedsTheCap(@ForAll("hostile") String s,
                                                          @ForAll @IntRange(min = 9, max = 200) int max) {
        String out = SafeText.of(s, max);
        assertThat(out.length()).isLessThanOrEqualTo(max);
        out.codePoints().forEach(c -> {
            assertThat(SafeText.isUnsafe(c)).as("U+%04X in %s", c, out).isFalse();
            assertThat(Character.isISOControl(c)).isFalse();
        });
        if (s.codePoints().noneMatch(c -> SafeText.isUnsafe(c) || c == '\\') && s.length() <= max) {
            assertThat(out).isEqualTo(s);
        }
    }

    @Provide
    Arbitrary<String> hostile() {
        return Arbitraries.oneOf(
                Arbitraries.strings().all().ofMaxLength(300),
                Arbitraries.strings().withChars("ab\\\r\n\t\u0000\u001B\u007F\u0085\u202E\u2066\u2028\u200F\u061C\uD83D\uDCE7")
                        .ofMaxLength(300));
    }
}

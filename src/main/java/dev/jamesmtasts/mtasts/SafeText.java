package dev.jamesmtasts.mtasts;

/**
 * Makes text that came from the network (a policy line, an HTTP status line or header, a TXT record)
 * safe to put into a log line, an exception message or a terminal: the one rule for showing such
 * text, so that a hostile policy host cannot forge log lines (CR/LF), drive a terminal (ESC), or
 * reorder what an administrator reads (bidi controls, RFC 8461 §10 treats the policy host as
 * untrusted until validated).
 *
 * <p>Escaped as visible text:
 * <ul>
 *   <li>C0 controls U+0000–U+001F (NUL, TAB, CR, LF, ESC, ...), DEL U+007F and C1 controls
 *       U+0080–U+009F as {@code \xNN};</li>
 *   <li>bidi controls (U+061C, U+200E, U+200F, U+202A–U+202E, U+2066–U+2069), the line and paragraph
 *       separators U+2028/U+2029 and unpaired surrogates as {@code \\uNNNN};</li>
 *   <li>the backslash itself as {@code \\}, so that an escape in the output always means an escape.</li>
 * </ul>
 * The result is at most {@code max} characters; when the input does not fit, it is cut at a
 * character (never inside an escape or a surrogate pair) and ends with {@value #ELLIPSIS}.
 */
public final class SafeText {
    /** The length cap of {@link #of(CharSequence)}. */
    public static final int DEFAULT_MAX = 100;
    /** Marks a cut. */
    public static final String ELLIPSIS = "...";

    private static final char[] HEX = "0123456789ABCDEF".toCharArray();

    private SafeText() {
    }

    /** {@code s} escaped and capped at {@value #DEFAULT_MAX} characters; {@code "null"} for null. */
    public static String of(CharSequence s) {
        return of(s, DEFAULT_MAX);
    }

    /** {@link #of(CharSequence)} between single quotes (the quotes are not counted in the cap). */
    public static String quoted(CharSequence s) {
        return "'" + of(s) + "'";
    }

    /**
     * {@code s} escaped and capped at {@code max} characters (at least {@value #ELLIPSIS}'s length
     * plus one escape, 9); {@code "null"} for null.
     */
    public static String of(CharSequence s, int max) {
        if (max < ELLIPSIS.length() + 6) {
            throw new IllegalArgumentException("max must be at least " + (ELLIPSIS.length() + 6) + ", got " + max);
        }
        if (s == null) {
            return "null";
        }
        StringBuilder out = new StringBuilder(Math.min(s.length(), max) + 8);
        int keep = 0;
        int n = s.length();
        for (int i = 0; i < n; i++) {
            if (out.length() <= max - ELLIPSIS.length()) {
                keep = out.length();
            }
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
                out.append(c).append(s.charAt(++i));
            } else if (c < 0x20 || (c >= 0x7F && c <= 0x9F)) {
                out.append("\\x").append(HEX[(c >> 4) & 0xF]).append(HEX[c & 0xF]);
            } else if (c == '\\') {
                out.append("\\\\");
            } else if (needsUnicodeEscape(c)) {
                out.append("\\u").append(HEX[(c >> 12) & 0xF]).append(HEX[(c >> 8) & 0xF])
                        .append(HEX[(c >> 4) & 0xF]).append(HEX[c & 0xF]);
            } else {
                out.append(c);
            }
            if (out.length() > max) {
                out.setLength(keep);
                return out.append(ELLIPSIS).toString();
            }
        }
        return out.toString();
    }

    /**
     * True for the code points this class escapes (a lone surrogate counts as its own code point, as
     * {@link String#codePoints()} yields it); text with none of them and no backslash passes unchanged.
     */
    public static boolean isUnsafe(int codePoint) {
        return codePoint < 0x20 || (codePoint >= 0x7F && codePoint <= 0x9F)
                || (codePoint <= 0xFFFF && needsUnicodeEscape((char) codePoint));
    }

    private static boolean needsUnicodeEscape(char c) {
        return c == '\u061C' || c == '\u200E' || c == '\u200F' || (c >= '\u202A' && c <= '\u202E')
                || (c >= '\u2066' && c <= '\u2069') || c == '\u2028' || c == '\u2029' || Character.isSurrogate(c);
    }
}

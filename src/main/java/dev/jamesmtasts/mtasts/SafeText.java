package dev.jamesmtasts.mtasts;

import java.util.Collection;

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
 *
 * <p>Where: {@link #of}/{@link #quoted} where a network value enters a reason (once, with its cap);
 * {@link #display} where text that should be safe already is shown or assembled (idempotent, so
 * nothing is escaped twice); {@link #lines} for a policy body on a terminal or in JMX; {@link #list}
 * wherever a reason lists a policy's mx patterns or MX hosts; {@link SafeJson} for JSON output.
 */
public final class SafeText {
    /** The length cap of {@link #of(CharSequence)}. */
    public static final int DEFAULT_MAX = 100;
    /** Marks a cut. */
    public static final String ELLIPSIS = "...";

    private static final char[] HEX = "0123456789ABCDEF".toCharArray();

    private SafeText() {
    }

    /**
     * The cap of {@link #display(CharSequence)}: a reason put together from several network values,
     * each already capped by {@link #of}, with room for its constant words.
     */
    public static final int REASON_MAX = 1000;
    /** How many items {@link #list(Collection, int)} names in a reason before "and N more". */
    public static final int LIST_MAX = 3;

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
        if (s == null) {
            return "null";
        }
        return escape(s, max, true);
    }

    private static String escape(CharSequence s, int max, boolean escapeBackslash) {
        if (max < ELLIPSIS.length() + 6) {
            throw new IllegalArgumentException("max must be at least " + (ELLIPSIS.length() + 6) + ", got " + max);
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
            } else if (c == '\\' && escapeBackslash) {
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
     * Text meant to be safe already (a reason built from {@link #of} parts, a row an older version
     * stored, an exception message of a library that may quote the peer), made certain: every
     * character {@link #isUnsafe(int) unsafe} is escaped as {@link #of} does, but a backslash is left
     * as it is, so that text already escaped is shown unchanged (never escaped twice); capped at
     * {@value #REASON_MAX}. Idempotent. Returns {@code s} itself when it is safe and fits.
     */
    public static String display(CharSequence s) {
        return display(s, REASON_MAX);
    }

    /** {@link #display(CharSequence)} capped at {@code max} characters (at least 9). */
    public static String display(CharSequence s, int max) {
        if (s == null) {
            return "null";
        }
        if (s.length() <= max && isSafe(s)) {
            return s.toString();
        }
        return escape(s, max, false);
    }

    /**
     * A multi-line text (a policy body as served) for a terminal or JMX: split at LF (a CR before it
     * dropped), each line escaped as {@link #display(CharSequence, int)} does with no cap beyond the
     * text's own length, joined with LF. The policy body stays byte-exact where it is stored; this is
     * only how it is shown.
     */
    public static String lines(CharSequence s) {
        if (s == null) {
            return "null";
        }
        String text = s.toString();
        StringBuilder out = new StringBuilder(text.length() + 16);
        int start = 0;
        while (start <= text.length()) {
            int lf = text.indexOf('\n', start);
            int end = lf < 0 ? text.length() : lf;
            int lineEnd = end > start && text.charAt(end - 1) == '\r' && lf >= 0 ? end - 1 : end;
            String line = text.substring(start, lineEnd);
            out.append(display(line, Math.max(line.length() * 6, ELLIPSIS.length() + 6)));
            if (lf < 0) {
                break;
            }
            out.append('\n');
            start = lf + 1;
        }
        return out.toString();
    }

    /**
     * At most {@code max} items of a list for a reason, each as {@link #display(CharSequence)} shows
     * it, separated by {@code ", "}, then {@code " and N more"}: {@code mx.a.example, *.b.example,
     * mx.c.example and 37 more}. One domain's policy (or MX set) cannot make every attempt log and
     * bounce its whole list (issue 9).
     */
    public static String list(Collection<?> items, int max) {
        return list(items, max, ", ");
    }

    /** {@link #list(Collection, int)} with another separator (such as {@code "; "} between per-host reasons). */
    public static String list(Collection<?> items, int max, String separator) {
        if (max < 1) {
            throw new IllegalArgumentException("max must be at least 1, got " + max);
        }
        StringBuilder sb = new StringBuilder();
        int shown = 0;
        for (Object item : items) {
            if (shown == max) {
                break;
            }
            if (shown > 0) {
                sb.append(separator);
            }
            sb.append(display(String.valueOf(item)));
            shown++;
        }
        int more = items.size() - shown;
        if (more > 0) {
            sb.append(" and ").append(more).append(" more");
        }
        return sb.toString();
    }

    private static boolean isSafe(CharSequence s) {
        for (int i = 0, n = s.length(); i < n; i++) {
            char c = s.charAt(i);
            if (c < 0x20 || (c >= 0x7F && c <= 0x9F)) {
                return false;
            }
            if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
                i++;
            } else if (c >= '\u061C' && needsUnicodeEscape(c)) {
                return false;
            }
        }
        return true;
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

package dev.jamesmtasts.testing;

import java.util.ArrayList;
import java.util.List;

import dev.jamesmtasts.mtasts.SafeText;

/**
 * A recipient domain that attacks whoever displays its data (issue 9, "hostile input"): an
 * {@code _mta-sts} TXT record that would forge a log line (CR LF then a timestamp), drive a
 * terminal (ESC, C1 CSI) and carry NUL, about 2 KB long; and a valid enforce policy with a
 * 1,000-entry mx list and an extension line holding bidi and C1 controls. Shared by the James and
 * CLI tests.
 */
public final class HostileDomain {
    /** What a forged log line would begin with (the log pattern's timestamp). */
    public static final String TIMESTAMP = "00:00:00.000";
    /** A forged log line. */
    public static final String FORGED = TIMESTAMP + " INFO  [main] forged";
    /** Marks every hostile text, to find where it went. */
    public static final String MARKER = "forged";
    /** How many mx patterns the hostile policy lists. */
    public static final int MX_COUNT = 1000;

    private HostileDomain() {
    }

    /** The TXT record's character-strings (each under 255 bytes): an id followed by a forged line. */
    public static String[] forgingRecord() {
        List<String> strings = new ArrayList<>();
        // The record's field ends at the first space: everything a parser quotes comes before it.
        // U+009B goes out as UTF-8 (C2 9B) and is read back byte for byte (Latin-1): \u00C2 then C1 CSI.
        strings.add("v=STSv1; id=1\r\n" + TIMESTAMP + "\u001B[31m\u0000\u009B2J" + FORGED.substring(TIMESTAMP.length()));
        for (int i = 0; i < 8; i++) {
            strings.add("A".repeat(240));
        }
        return strings.toArray(new String[0]);
    }

    /** A valid enforce policy: {@value #MX_COUNT} mx patterns under {@code domain}, a hostile extension line. */
    public static String policy(String domain) {
        StringBuilder sb = new StringBuilder("version: STSv1\r\nmode: enforce\r\n");
        for (int i = 0; i < MX_COUNT; i++) {
            sb.append("mx: mx").append(i).append('.').append(domain).append("\r\n");
        }
        return sb.append("x-note: \u202Egnp.exe \u009B2J ").append(MARKER).append(" \u2028").append(FORGED)
                .append("\r\nmax_age: 86400\r\n").toString();
    }

    /** The first code point {@link SafeText} would escape, or -1: what must never reach a log or a terminal. */
    public static int firstUnsafe(String s) {
        return s.codePoints().filter(SafeText::isUnsafe).findFirst().orElse(-1);
    }

    /** {@link #firstUnsafe} allowing line feeds and tabs (output made of lines, with tab-separated columns). */
    public static int firstUnsafeExceptLfAndTab(String s) {
        return s.codePoints().filter(c -> c != '\n' && c != '\t' && SafeText.isUnsafe(c)).findFirst().orElse(-1);
    }
}

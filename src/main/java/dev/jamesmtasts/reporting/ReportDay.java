package dev.jamesmtasts.reporting;

import java.time.Clock;
import java.time.LocalDate;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.regex.Pattern;

import dev.jamesmtasts.mtasts.SafeText;

/**
 * The one reading of a report day given by an administrator (MBean, WebAdmin {@code ?day=}, CLI
 * {@code --day}): {@code YYYY-MM-DD}, {@code today} or {@code yesterday}, all in UTC because a report
 * covers one UTC day (RFC 8460 §4.1 {@code date-range}, {@link dev.jamesmtasts.tlsrpt.ReportId}). Absent or blank means
 * {@code yesterday}: the day whose reports go out today.
 */
public final class ReportDay {
    /** The parameter's name, as the routes and the CLI call it. */
    public static final String PARAMETER = "day";
    /** The accepted forms, named in every error. */
    public static final String FORMS = "YYYY-MM-DD, today or yesterday (UTC)";
    private static final Pattern ISO = Pattern.compile("[0-9]{4}-[0-9]{2}-[0-9]{2}");

    private ReportDay() {
    }

    /**
     * @throws IllegalArgumentException naming {@value #PARAMETER} and the accepted forms
     */
    public static LocalDate parse(String text, Clock clock) {
        LocalDate today = dev.jamesmtasts.tlsrpt.ReportId.day(clock.instant());
        if (text == null || text.trim().isEmpty()) {
            return today.minusDays(1);
        }
        String t = text.trim().toLowerCase(Locale.ROOT);
        if (t.equals("today")) {
            return today;
        }
        if (t.equals("yesterday")) {
            return today.minusDays(1);
        }
        if (ISO.matcher(t).matches()) {
            try {
                return LocalDate.parse(t, DateTimeFormatter.ISO_LOCAL_DATE); // strict: no 2026-02-30
            } catch (DateTimeParseException e) {
                // falls through to the one message
            }
        }
        throw new IllegalArgumentException(PARAMETER + " must be " + FORMS + ", got " + SafeText.quoted(text));
    }
}

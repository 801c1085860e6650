package dev.jamesmtasts.reporting;

import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/**
 * The identity and time range of a daily report (RFC 8460 §4.4), in one place.
 *
 * <p>{@code report-id}: {@code <YYYYMMDD>.<policy domain>@<submitter>} (as mox does): unique per
 * submitter, policy domain and day, and the same when a report is re-sent (an admin send-now), so a
 * receiver can tell a repeat. {@code date-range}: the UTC day, {@code 00:00:00Z} to {@code 23:59:59Z}
 * (the form of the RFC's example).
 */
public final class ReportIds {
    private static final DateTimeFormatter YYYYMMDD = DateTimeFormatter.BASIC_ISO_DATE;

    private ReportIds() {
    }

    public static String reportId(LocalDate day, String policyDomain, String submitter) {
        return YYYYMMDD.format(day) + "." + policyDomain + "@" + submitter;
    }

    /** {@code date-range.start-datetime}. */
    public static Instant start(LocalDate day) {
        return day.atStartOfDay(ZoneOffset.UTC).toInstant();
    }

    /** {@code date-range.end-datetime}: the last second of the day. */
    public static Instant end(LocalDate day) {
        return start(day.plusDays(1)).minusSeconds(1);
    }

    /** The UTC day of {@code t}. */
    public static LocalDate day(Instant t) {
        return LocalDate.ofEpochDay(Math.floorDiv(t.getEpochSecond(), 86_400L));
    }
}

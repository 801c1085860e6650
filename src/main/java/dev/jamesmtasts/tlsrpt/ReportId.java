package dev.jamesmtasts.tlsrpt;

import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

import dev.jamesmtasts.mtasts.Domains;

/**
 * The {@code report-id} of a report (RFC 8460 §4.4: "a unique identifier for the report"; the scheme
 * is the sender's choice).
 *
 * <p>Form: {@code <UTC day as YYYYMMDD>.<policy domain>@<submitter domain>}, e.g.
 * {@code 20261201.example.com@mail.sender.example} (mox uses the same form). Why:
 * <ul>
 *   <li><b>unique</b> as long as one submitter sends one report per policy domain and UTC day, which
 *       is what the daily schedule does (two separate installations configured with the same
 *       submitter domain would collide: the submitter domain names one reporting organisation);</li>
 *   <li><b>stable across retries</b>: the same day's report retried after a failed POST or sent to a
 *       second {@code rua} carries the same id, so a receiver can tell it is one report;</li>
 *   <li><b>a report with other content for the same day</b> (an administrator's send-now before the
 *       daily run, then the daily report) needs another id: {@link #of(LocalDate, String, String, int)}
 *       with sequence number 2, 3, ... gives {@code 20261201-2.example.com@mail.sender.example}
 *       ({@code -N} after the day, where no domain label can make it ambiguous);</li>
 *   <li><b>a valid msg-id</b> (RFC 5322 §3.6.4 {@code dot-atom-text "@" dot-atom-text}): RFC 8460
 *       §5.3 puts it in the Subject as {@code Report-ID: <report-id>}, and it may serve as a
 *       Message-ID's left part;</li>
 *   <li>readable: the day and the domain the report is about are visible to whoever gets it.</li>
 * </ul>
 */
public final class ReportId {
    private static final DateTimeFormatter DAY = DateTimeFormatter.BASIC_ISO_DATE;

    private ReportId() {
    }

    /** The id of the first report about {@code day} for {@code policyDomain} from {@code submitterDomain}. */
    public static String of(LocalDate day, String policyDomain, String submitterDomain) {
        return of(day, policyDomain, submitterDomain, 1);
    }

    /**
     * The id of report number {@code sequence} about {@code day}: 1 for the (first) report of the
     * day, 2, 3, ... for each later report with other content for the same day.
     * Domains are normalised to lower-case A-labels ({@link Domains#normalize}).
     *
     * @throws IllegalArgumentException for a sequence number below 1, a day before year 0 or after 9999,
     *         or a domain that is not a valid DNS name
     */
    public static String of(LocalDate day, String policyDomain, String submitterDomain, int sequence) {
        if (sequence < 1) {
            throw new IllegalArgumentException("sequence must be 1 or more, got " + sequence);
        }
        if (day.getYear() < 0 || day.getYear() > 9999) {
            throw new IllegalArgumentException("day out of range: " + day);
        }
        String id = DAY.format(day) + (sequence == 1 ? "" : "-" + sequence);
        return id + '.' + Domains.normalize(policyDomain) + '@' + Domains.normalize(submitterDomain);
    }

    /** RFC 8460 §4.4 {@code date-range.start-datetime} of the report about {@code day}: 00:00:00Z. */
    public static Instant start(LocalDate day) {
        return day.atStartOfDay(ZoneOffset.UTC).toInstant();
    }

    /** RFC 8460 §4.4 {@code date-range.end-datetime}: the last second of the UTC day (the RFC's example form). */
    public static Instant end(LocalDate day) {
        return start(day.plusDays(1)).minusSeconds(1);
    }

    /** The UTC day of {@code t}: the day whose report counts a session at {@code t}. */
    public static LocalDate day(Instant t) {
        return LocalDate.ofEpochDay(Math.floorDiv(t.getEpochSecond(), 86_400L));
    }
}

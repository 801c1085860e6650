package dev.jamesmtasts.reporting;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.jamesmtasts.mtasts.SafeJson;
import dev.jamesmtasts.tlsrpt.ReportJson;
import dev.jamesmtasts.tlsrpt.TlsReport;

/**
 * The one shape of a TLS-RPT report summary as an administrator sees it, whichever way they ask:
 * WebAdmin {@code /mta-sts/tlsrpt/...}, the JMX MBean ({@code mta-sts tlsrpt}, jconsole). The
 * counterpart of {@code cache.StoredPolicyView} for reports. Fields in this order (absent values left
 * out):
 *
 * <table>
 *   <caption>fields</caption>
 *   <tr><td>{@value #DOMAIN}</td><td>the policy domain (RFC 8460 §4.4 {@code policy-domain})</td></tr>
 *   <tr><td>{@value #DAY}</td><td>the UTC day the report covers ({@code date-range}, §4.4)</td></tr>
 *   <tr><td>{@value #SUCCESSFUL}, {@value #FAILED}</td><td>the summed {@code total-successful-session-count}
 *       and {@code total-failure-session-count} of every policy of that day, over every node</td></tr>
 *   <tr><td>{@value #STATE}</td><td>{@code pending} (no node touched it yet), or the
 *       {@link SendState.State} in lower case: {@code claimed}, {@code sent}, {@code failed},
 *       {@code gave_up}, {@code no_record}, {@code skipped}</td></tr>
 *   <tr><td>{@value #ATTEMPTS}</td><td>failed attempts so far</td></tr>
 *   <tr><td>{@value #REPORT_ID}, {@value #SENT_AT}, {@value #SENT_TO}, {@value #RETRY_AT},
 *       {@value #OWNER}, {@value #LAST_ERROR}</td><td>from the send state</td></tr>
 *   <tr><td>{@value #REPORT}</td><td>(show only) the RFC 8460 §4 JSON object as it would be sent</td></tr>
 * </table>
 * A send-now outcome is {@value #DOMAIN}, {@value #DAY}, {@value #OUTCOME} ({@link SendOutcome.Kind} in
 * lower case), {@value #RUA} (the URIs that took it), {@value #DETAIL}, {@value #REPORT_ID}, and for an
 * interim report (a send-now of a day not ended yet: the day so far, the day's own report follows)
 * {@value #INTERIM} {@code true} and {@value #UNTIL}, the end of its date-range.
 * Instants are ISO-8601 strings. The CLI and WebAdmin serialise the map with Jackson; JMX takes
 * {@link #forJmx(Map)}, whose strings {@link #fromJmx(Map)} turns back into this shape.
 */
public final class ReportView {
    public static final String DOMAIN = "domain";
    public static final String DAY = "day";
    public static final String SUCCESSFUL = "successful";
    public static final String FAILED = "failed";
    public static final String STATE = "state";
    public static final String ATTEMPTS = "attempts";
    public static final String REPORT_ID = "report_id";
    public static final String SENT_AT = "sent_at";
    public static final String SENT_TO = "sent_to";
    public static final String RETRY_AT = "retry_at";
    public static final String OWNER = "owner";
    public static final String LAST_ERROR = "last_error";
    public static final String REPORT = "report";
    public static final String OUTCOME = "outcome";
    public static final String RUA = "rua";
    public static final String DETAIL = "detail";
    public static final String INTERIM = "interim";
    public static final String UNTIL = "until";
    /** {@value}: a report no node has touched yet. */
    public static final String PENDING = "pending";

    private static final List<String> NUMBERS = List.of(SUCCESSFUL, FAILED, ATTEMPTS);
    private static final List<String> LISTS = List.of(SENT_TO, RUA);
    private static final List<String> BOOLEANS = List.of(INTERIM);
    private static final ObjectMapper JSON = SafeJson.newMapper();

    private ReportView() {
    }

    /** A summary row; {@code state} null when no node touched the report yet. */
    public static Map<String, Object> row(LocalDate day, String domain, List<TlsReport.PolicyResults> results,
                                          SendState state) {
        long ok = 0;
        long bad = 0;
        for (TlsReport.PolicyResults r : results) {
            ok += r.successfulSessions();
            bad += r.failedSessions();
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put(DOMAIN, domain);
        m.put(DAY, day.toString());
        m.put(SUCCESSFUL, ok);
        m.put(FAILED, bad);
        m.put(STATE, state == null ? PENDING : state.state().name().toLowerCase(Locale.ROOT));
        if (state != null) {
            m.put(ATTEMPTS, (long) state.attempts());
            putIfPresent(m, REPORT_ID, state.reportId());
            putInstant(m, SENT_AT, state.sentAt());
            if (!state.sentTo().isEmpty()) {
                m.put(SENT_TO, new ArrayList<>(state.sentTo()));
            }
            putInstant(m, RETRY_AT, state.retryAt());
            putIfPresent(m, OWNER, state.owner());
            putIfPresent(m, LAST_ERROR, state.lastError());
        }
        return m;
    }

    /** {@link #row} plus {@value #REPORT}, the report's RFC 8460 JSON as a map (absent without results). */
    public static Map<String, Object> show(LocalDate day, String domain, List<TlsReport.PolicyResults> results,
                                           SendState state, TlsReport report) {
        Map<String, Object> m = row(day, domain, results, state);
        if (report != null) {
            m.put(REPORT, reportObject(report));
        }
        return m;
    }

    /** What send-now did about one report. */
    public static Map<String, Object> outcome(SendOutcome o) {
        Map<String, Object> m = new LinkedHashMap<>();
        putIfPresent(m, DOMAIN, o.policyDomain());
        m.put(DAY, o.day().toString());
        m.put(OUTCOME, o.kind().name().toLowerCase(Locale.ROOT));
        m.put(RUA, new ArrayList<>(o.sentTo()));
        putIfPresent(m, DETAIL, o.reason());
        putIfPresent(m, REPORT_ID, o.reportId());
        if (o.interim()) {
            m.put(INTERIM, true);
            putInstant(m, UNTIL, o.interimEnd());
        }
        return m;
    }

    /** The report as {@link ReportJson} writes it (the exact bytes that are sent), read back as a map. */
    static Map<String, Object> reportObject(TlsReport report) {
        try {
            return JSON.readValue(ReportJson.write(report), new TypeReference<LinkedHashMap<String, Object>>() { });
        } catch (IOException e) {
            throw new UncheckedIOException("a report written by ReportJson does not read back", e);
        }
    }

    /**
     * The same row with every value a string, so that any JMX client can read it without project
     * classes: lists joined with {@code ,} (a rua URI holds no bare comma: RFC 8460 §3 separates them
     * with commas), {@value #REPORT} as its JSON text.
     */
    public static Map<String, String> forJmx(Map<String, ?> row) {
        Map<String, String> m = new LinkedHashMap<>();
        row.forEach((k, v) -> {
            if (v instanceof Collection) {
                List<String> items = new ArrayList<>();
                for (Object o : (Collection<?>) v) {
                    items.add(String.valueOf(o));
                }
                m.put(k, String.join(",", items));
            } else if (v instanceof Map) {
                try {
                    m.put(k, JSON.writeValueAsString(v));
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            } else if (v != null) {
                m.put(k, String.valueOf(v));
            }
        });
        return m;
    }

    /**
     * A {@link #forJmx} row back in this shape (numbers, lists, the report object), for the CLI's
     * {@code --json}. A value that does not read back stays a string.
     */
    public static Map<String, Object> fromJmx(Map<String, String> row) {
        Map<String, Object> m = new LinkedHashMap<>();
        row.forEach((k, v) -> {
            Object value = v;
            if (NUMBERS.contains(k)) {
                try {
                    value = Long.parseLong(v);
                } catch (NumberFormatException e) {
                    value = v;
                }
            } else if (BOOLEANS.contains(k)) {
                value = "true".equals(v) ? Boolean.TRUE : "false".equals(v) ? Boolean.FALSE : v;
            } else if (LISTS.contains(k)) {
                value = v.isEmpty() ? List.of() : List.of(v.split(","));
            } else if (k.equals(REPORT)) {
                try {
                    value = JSON.readValue(v, new TypeReference<LinkedHashMap<String, Object>>() { });
                } catch (IOException e) {
                    value = v;
                }
            }
            m.put(k, value);
        });
        return m;
    }

    private static void putIfPresent(Map<String, Object> m, String k, String v) {
        if (v != null) {
            m.put(k, v);
        }
    }

    private static void putInstant(Map<String, Object> m, String k, Instant v) {
        if (v != null) {
            m.put(k, v.toString());
        }
    }
}

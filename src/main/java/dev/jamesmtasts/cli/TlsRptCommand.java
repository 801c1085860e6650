package dev.jamesmtasts.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.time.Clock;
import java.time.LocalDate;
import java.util.List;
import java.util.Map;

import javax.management.JMException;
import javax.management.MBeanServerConnection;
import javax.management.ObjectName;

import dev.jamesmtasts.mtasts.Domains;
import dev.jamesmtasts.mtasts.SafeText;
import dev.jamesmtasts.reporting.ReportDay;
import dev.jamesmtasts.reporting.ReportView;

/**
 * {@code mta-sts tlsrpt}: the TLS-RPT reports (RFC 8460) of a running James, through its MTA-STS MBean
 * over JMX RMI, like {@code mta-sts jmx}. Every action goes through James, not straight to Cassandra
 * as {@code cache} does: {@code show} prints the report as that node would send it (its organization,
 * contact and submitter settings), and {@code send-now} needs the node's recorder flush and its
 * transports (HTTPS poster, James's mail pipeline). The MBean operations are called by name with JDK
 * types only ({@code listTlsReports}, {@code showTlsReport}, {@code sendTlsReportsNow} of
 * {@code dev.jamesmtasts.james.MtaStsMBean}); rows are {@link ReportView} rows. The day is read here by
 * {@link ReportDay} (a bad one is a usage error) and sent as {@code YYYY-MM-DD}.
 *
 * <p>Exit status: 0 done, 1 failed / not found / TLS-RPT off on that node, 2 usage, 3 cannot connect.
 */
final class TlsRptCommand implements Subcommand {
    private static final String STRING = String.class.getName();

    @Override
    public String name() {
        return "tlsrpt";
    }

    @Override
    public String usage() {
        return "tlsrpt " + JmxOptions.SYNOPSIS + " list [--day D] | show DOMAIN [--day D]"
                + " | send-now [DOMAIN] [--day D] [--force]\n"
                + "  The TLS-RPT reports (RFC 8460) of a running James (tlsrpt.enabled=true), over JMX RMI.\n"
                + "  list                          the reports of day D, one per policy domain: counts and state\n"
                + "  show DOMAIN                   one report's state and its RFC 8460 JSON as it would be sent\n"
                + "                                (exit 1 when nothing was recorded for DOMAIN that day)\n"
                + "  send-now [DOMAIN]             flush the node's results, then send DOMAIN's report (or every\n"
                + "                                domain's) now; --force re-sends a report already finished.\n"
                + "                                A day not ended yet gets an interim report (the day so far,\n"
                + "                                its own report-id); its full report still follows after it\n"
                + "  --day D                       " + ReportDay.FORMS + "; default yesterday\n"
                + "  --json                        one JSON object per line\n";
    }

    @Override
    public int run(List<String> args, PrintStream out, PrintStream err) throws UsageException {
        JmxOptions jmx = new JmxOptions();
        String dayText = null;
        boolean force = false;
        boolean json = false;
        String action = null;
        String domain = null;
        ArgCursor a = new ArgCursor(args);
        while (a.next()) {
            switch (a.current()) {
                case "--day":
                    dayText = a.value();
                    break;
                case "--force":
                    force = true;
                    break;
                case "--json":
                    json = true;
                    break;
                default:
                    if (!jmx.accept(a) && a.positional()) {
                        if (action == null) {
                            action = a.current();
                        } else if (domain == null) {
                            domain = a.current();
                        } else {
                            throw new UsageException("unexpected argument " + SafeText.quoted(a.current()));
                        }
                    }
            }
        }
        jmx.required();
        if (action == null) {
            throw new UsageException("no action given");
        }
        switch (action) {
            case "list":
                if (domain != null) {
                    throw new UsageException("list takes no DOMAIN");
                }
                break;
            case "show":
                if (domain == null) {
                    throw new UsageException("show needs a DOMAIN");
                }
                break;
            case "send-now":
                break;
            default:
                throw new UsageException("unknown action " + SafeText.quoted(action));
        }
        if (force && !action.equals("send-now")) {
            throw new UsageException("--force goes with send-now");
        }
        LocalDate day;
        try {
            day = ReportDay.parse(dayText, Clock.systemUTC());
            domain = domain == null ? null : Domains.normalize(domain);
        } catch (IllegalArgumentException e) {
            throw new UsageException(SafeText.display(e.getMessage()));
        }
        final String act = action;
        final String dom = domain;
        final boolean f = force;
        final boolean asJson = json;
        return jmx.connect("tlsrpt", action, err, (connection, name) -> execute(connection, name, act, dom, day.toString(), f, asJson, out, err));
    }

    @SuppressWarnings("unchecked")
    private static int execute(MBeanServerConnection connection, ObjectName name, String action, String domain,
                               String day, boolean force, boolean json, PrintStream out, PrintStream err)
            throws JMException, IOException {
        switch (action) {
            case "list": {
                List<Map<String, String>> rows = (List<Map<String, String>>) connection.invoke(name, "listTlsReports",
                        new Object[] {day}, new String[] {STRING});
                for (Map<String, String> row : rows) {
                    out.println(json ? json(row) : line(row));
                }
                return 0;
            }
            case "show": {
                Map<String, String> row = (Map<String, String>) connection.invoke(name, "showTlsReport",
                        new Object[] {domain, day}, new String[] {STRING, STRING});
                if (row.isEmpty()) {
                    err.println("tlsrpt: no TLS-RPT results or report for " + SafeText.of(domain) + " on " + day);
                    return 1;
                }
                if (json) {
                    out.println(json(row));
                    return 0;
                }
                String report = null;
                for (Map.Entry<String, String> e : row.entrySet()) {
                    if (e.getKey().equals(ReportView.REPORT)) {
                        report = e.getValue();
                    } else {
                        out.println(SafeText.display(e.getKey()) + ": " + SafeText.display(e.getValue(), Integer.MAX_VALUE));
                    }
                }
                if (report != null) {
                    out.println();
                    out.println(CliJson.write(CliJson.MAPPER.valueToTree(
                            ReportView.fromJmx(Map.of(ReportView.REPORT, report)).get(ReportView.REPORT))));
                }
                return 0;
            }
            default: {
                List<Map<String, String>> rows = (List<Map<String, String>>) connection.invoke(name, "sendTlsReportsNow",
                        new Object[] {domain == null ? "" : domain, day, force},
                        new String[] {STRING, STRING, boolean.class.getName()});
                for (Map<String, String> row : rows) {
                    out.println(json ? json(row) : outcomeLine(row));
                }
                if (rows.isEmpty() && !json) {
                    out.println("# no results recorded on " + day);
                }
                return 0;
            }
        }
    }

    /** One JSON object in {@link ReportView}'s shape (numbers, lists, the report object), escaped by SafeJson. */
    private static String json(Map<String, String> row) {
        return CliJson.write(CliJson.MAPPER.valueToTree(ReportView.fromJmx(row)));
    }

    /** {@code domain  state  successful=N  failed=N} then what the send state adds. */
    static String line(Map<String, String> row) {
        StringBuilder sb = new StringBuilder(text(row.get(ReportView.DOMAIN)))
                .append('\t').append(text(row.get(ReportView.STATE)))
                .append("\tsuccessful=").append(text(row.get(ReportView.SUCCESSFUL)))
                .append("\tfailed=").append(text(row.get(ReportView.FAILED)));
        optional(sb, row, ReportView.ATTEMPTS, "attempts");
        optional(sb, row, ReportView.SENT_TO, "sent-to");
        optional(sb, row, ReportView.RETRY_AT, "retry-at");
        optional(sb, row, ReportView.LAST_ERROR, "last-error");
        return sb.toString();
    }

    /** {@code domain  outcome  [interim  until=T]  to=RUA,...  report-id=ID  detail} */
    static String outcomeLine(Map<String, String> row) {
        StringBuilder sb = new StringBuilder(text(row.get(ReportView.DOMAIN)))
                .append('\t').append(text(row.get(ReportView.OUTCOME)));
        if ("true".equals(row.get(ReportView.INTERIM))) {
            sb.append("\tinterim");
            optional(sb, row, ReportView.UNTIL, "until");
        }
        String rua = row.get(ReportView.RUA);
        if (rua != null && !rua.isEmpty()) {
            sb.append("\tto=").append(text(rua));
        }
        optional(sb, row, ReportView.REPORT_ID, "report-id");
        optional(sb, row, ReportView.DETAIL, "detail");
        return sb.toString();
    }

    private static void optional(StringBuilder sb, Map<String, String> row, String key, String label) {
        String v = row.get(key);
        if (v != null) {
            sb.append('\t').append(label).append('=').append(text(v));
        }
    }

    private static String text(String v) {
        return v == null ? "-" : SafeText.display(v, Integer.MAX_VALUE);
    }
}

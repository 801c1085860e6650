package dev.jamesmtasts.cli;

import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;

import dev.jamesmtasts.mtasts.SafeText;

/**
 * The text form of a {@code mta-sts check} report, read from its JSON shape (the same whether the check
 * ran here or in a James over JMX): the verdict first, then MTA-STS, TLS-RPT and one section per MX host.
 * Every value goes through {@link SafeText}: the greeting, the certificate names, the policy and the
 * reasons came from the domain's servers.
 */
final class CheckText {
    /** How many mx patterns, EHLO keywords or names a line lists before "and N more". */
    private static final int LIST = 5;
    /** How many lines of a multi-line greeting are shown. */
    private static final int GREETING_LINES = 3;

    private CheckText() {
    }

    static String render(JsonNode r) {
        StringBuilder sb = new StringBuilder();
        JsonNode v = r.path("verdict");
        sb.append(text(r.path("domain"))).append(": ").append(text(v.path("action")))
                .append(" (").append(text(v.path("policy"))).append(')');
        List<String> used = strings(v.path("mx"));
        if (!used.isEmpty()) {
            sb.append(" via ").append(SafeText.display(used.get(0)));
        }
        sb.append('\n');
        line(sb, "reason", v.path("reason"));
        line(sb, "settings", r.path("settings"));
        sb.append(field("checked")).append(text(r.path("checked_at"))).append(" in ")
                .append(r.path("elapsed_ms").asLong()).append(" ms (deadline ").append(r.path("deadline_ms").asLong())
                .append(" ms)").append(r.path("complete").asBoolean() ? "" : ", NOT COMPLETE").append('\n');

        JsonNode sts = r.path("mta_sts");
        sb.append("\nMTA-STS\n");
        JsonNode pub = sts.path("published");
        if (pub.has("result")) {
            sb.append(field("published")).append(text(pub.path("result")));
            if (pub.has("record")) {
                sb.append(" (record id ").append(text(pub.path("record").path("id"))).append(')');
            }
            sb.append('\n');
            if (pub.has("policy")) {
                policy(sb, pub.path("policy"));
            } else {
                line(sb, "", pub.path("reason"));
            }
        } else {
            line(sb, "published", unfinished(pub));
        }
        JsonNode cached = sts.path("cached");
        if (!cached.path("consulted").asBoolean()) {
            line(sb, "cached", cached.path("reason"));
        } else if (cached.has("error")) {
            sb.append(field("cached")).append("cannot be read: ").append(text(cached.path("error"))).append('\n');
        } else if (cached.path("row").isNull() || cached.path("row").isMissingNode()) {
            sb.append(field("cached")).append("none in ").append(text(cached.path("store"))).append('\n');
        } else {
            JsonNode row = cached.path("row");
            sb.append(field("cached")).append(row.has("mode") ? text(row.path("mode")) : "no policy");
            if (row.has("policy_id")) {
                sb.append(" (record id ").append(text(row.path("policy_id"))).append(')');
            }
            if (row.has("valid_until")) {
                sb.append(", valid until ").append(text(row.path("valid_until")));
            }
            if (row.has("backoff_until")) {
                sb.append(", fetch backoff until ").append(text(row.path("backoff_until")));
            }
            sb.append('\n').append(field("")).append("in ").append(text(cached.path("store"))).append('\n');
        }
        JsonNode next = sts.path("next_attempt");
        sb.append(field("next attempt")).append(text(next.path("outcome")));
        if (next.hasNonNull("policy_id")) {
            sb.append(", record id ").append(text(next.path("policy_id")));
        }
        sb.append(": ").append(text(next.path("reason"))).append('\n');
        JsonNode dec = sts.path("decision");
        sb.append(field("applied as")).append(text(dec.path("application"))).append(" (")
                .append(text(dec.path("origin"))).append(")").append(dec.path("defer").asBoolean() ? ", deferred" : "")
                .append(": ").append(text(dec.path("reason"))).append('\n');

        JsonNode rpt = r.path("tls_rpt");
        sb.append("\nTLS-RPT\n");
        if (rpt.has("result")) {
            sb.append(field("record")).append(text(rpt.path("result")));
            List<String> rua = strings(rpt.path("rua"));
            if (!rua.isEmpty()) {
                sb.append(": rua ").append(SafeText.list(rua, LIST));
            }
            sb.append('\n');
            if (!rpt.path("result").asText().equals("found")) {
                line(sb, "", rpt.path("reason"));
            }
        } else {
            line(sb, "record", unfinished(rpt));
        }

        JsonNode dane = r.path("dane");
        sb.append("\nDANE\n");
        if (dane.has("status")) {
            sb.append(field("MX RRset")).append(text(dane.path("status")))
                    .append(dane.path("required").asBoolean() ? " (required)" : "").append(": ")
                    .append(text(dane.path("detail"))).append('\n');
            JsonNode fact = dane.path("mx_dnssec");
            if (!fact.isMissingNode()) {
                line(sb, "MX DNSSEC", text(fact.path("status")) + ": " + text(fact.path("detail")));
            }
            line(sb, "validation", dane.path("validation"));
        } else {
            line(sb, "MX RRset", unfinished(dane));
        }

        JsonNode lookup = r.path("mx_lookup");
        sb.append("\nMX lookup: ").append(lookup.has("status") ? text(lookup.path("status")) + ": "
                + text(lookup.path("detail")) : text(unfinished(lookup))).append('\n');
        for (JsonNode mx : r.path("mx")) {
            mx(sb, mx);
        }
        return sb.toString();
    }

    private static void mx(StringBuilder sb, JsonNode mx) {
        sb.append("\nMX ").append(text(mx.path("host")));
        if (mx.has("preference")) {
            sb.append(" (preference ").append(mx.path("preference").asInt()).append(')');
        }
        sb.append('\n');
        if (mx.has("addresses")) {
            line(sb, "addresses", SafeText.list(strings(mx.path("addresses")), LIST));
        }
        line(sb, "addresses", mx.path("address_error"));
        JsonNode p = mx.path("probe");
        if (p.has("stage")) {
            sb.append(field("probe")).append(text(p.path("address"))).append(": ")
                    .append(p.path("stage").asText().equals("done") ? "TLS handshake completed"
                            : "stopped at " + text(p.path("stage")))
                    .append(" in ").append(p.path("elapsed_ms").asLong()).append(" ms")
                    .append(p.path("timed_out").asBoolean() ? " (deadline)" : "").append('\n');
            if (p.has("greeting")) {
                String[] lines = p.path("greeting").asText().split("\n", -1);
                for (int i = 0; i < lines.length && i < GREETING_LINES; i++) {
                    line(sb, i == 0 ? "greeting" : "", SafeText.display(lines[i], 200));
                }
                if (lines.length > GREETING_LINES) {
                    line(sb, "", "(" + (lines.length - GREETING_LINES) + " more lines)");
                }
            }
            if (p.has("ehlo")) {
                line(sb, "EHLO", SafeText.list(strings(p.path("ehlo")), 8));
            }
            line(sb, "STARTTLS", p.path("starttls").asText().replace('_', ' '));
            if (p.has("tls_version")) {
                line(sb, "TLS", text(p.path("tls_version")) + ", " + text(p.path("cipher")));
            }
            line(sb, "error", p.path("error"));
        } else if (!p.isMissingNode()) {
            line(sb, "probe", p.has("finished") ? unfinished(p) : text(p.path("error")));
        }
        JsonNode c = mx.path("certificate");
        if (!c.isMissingNode()) {
            sb.append(field("certificate")).append(text(c.path("verdict")).replace('_', ' '));
            if (c.has("reason")) {
                sb.append(": ").append(text(c.path("reason")));
            }
            sb.append('\n');
            if (c.has("subject")) {
                line(sb, "", "subject " + text(c.path("subject")) + ", issuer " + text(c.path("issuer")));
                line(sb, "", "names " + (c.path("names").size() == 0 ? "none" : SafeText.list(strings(c.path("names")), LIST)));
                line(sb, "", "valid " + text(c.path("not_before")) + " to " + text(c.path("not_after"))
                        + ", chain of " + c.path("chain_length").asInt());
                line(sb, "", "sha256 " + text(c.path("sha256")));
            }
        }
        JsonNode sts = mx.path("mta_sts");
        if (!sts.isMissingNode()) {
            line(sb, "MTA-STS", (sts.path("matched").asBoolean() ? "listed in the policy" : "not listed in the policy")
                    + (sts.path("passes_enforce").asBoolean() ? ", passes enforce"
                    : ", fails enforce: " + text(sts.path("reason"))));
        }
        JsonNode dane = mx.path("dane");
        if (dane.has("status")) {
            line(sb, "DANE", text(dane.path("status")).replace('_', ' ')
                    + (dane.has("failure") ? " (" + text(dane.path("failure")).replace('_', ' ') + ")" : "")
                    + ": " + text(dane.path("detail")));
            boolean first = true;
            int shown = 0;
            for (JsonNode t : dane.path("tlsa")) {
                if (shown++ == LIST) {
                    line(sb, "", "and " + (dane.path("tlsa").size() - LIST) + " more");
                    break;
                }
                line(sb, first ? "TLSA" : "", SafeText.display(t.path("record").asText(), 120)
                        + (t.path("usable").asBoolean() ? " (usable)" : " (unusable)"));
                first = false;
            }
            JsonNode ver = dane.path("verification");
            if (!ver.isMissingNode()) {
                line(sb, "TLSA check", text(ver.path("outcome")).replace('_', ' ')
                        + (ver.has("reason") ? ": " + text(ver.path("reason")) : ""));
            }
        } else if (!dane.isMissingNode()) {
            line(sb, "DANE", unfinished(dane));
        }
        JsonNode next = mx.path("next_attempt");
        line(sb, "next attempt", (next.path("use").asBoolean() ? "used" : "not used")
                + (next.has("session") && next.path("use").asBoolean() ? " (" + text(next.path("session")) + ")" : "")
                + ": " + text(next.path("reason")));
        JsonNode probed = mx.path("probed_addresses");
        if (probed.size() > 1) {
            boolean first = true;
            for (JsonNode a : probed) {
                line(sb, first ? "per address" : "", address(a));
                first = false;
            }
            if (mx.has("addresses_not_probed")) {
                line(sb, "", "and " + mx.path("addresses_not_probed").asInt() + " more address(es) not probed");
            }
            if (next.has("disagreement")) {
                line(sb, "DISAGREE", next.path("disagreement"));
            }
        }
    }

    /** One probed address on one line: used or not, STARTTLS, TLS version, certificate, TLSA check. */
    private static String address(JsonNode a) {
        if (!a.has("stage")) {
            return text(a.path("address")) + ": " + text(a.path("error"));
        }
        StringBuilder sb = new StringBuilder(text(a.path("address"))).append(": ")
                .append(a.path("use").asBoolean() ? "used" : "not used")
                .append(", STARTTLS ").append(a.path("starttls").asText().replace('_', ' '));
        if (a.has("tls_version")) {
            sb.append(", ").append(text(a.path("tls_version")));
        }
        sb.append(", certificate ").append(text(a.path("certificate").path("verdict")).replace('_', ' '));
        if (a.has("dane_verification")) {
            sb.append(", TLSA ").append(text(a.path("dane_verification").path("outcome")).replace('_', ' '));
        }
        if (!a.path("use").asBoolean()) {
            sb.append(": ").append(text(a.path("reason")));
        }
        return sb.toString();
    }

    private static void policy(StringBuilder sb, JsonNode p) {
        line(sb, "", text(p.path("mode")) + ", max_age " + p.path("max_age").asLong()
                + ", mx " + SafeText.list(strings(p.path("mx")), LIST));
    }

    private static String unfinished(JsonNode n) {
        return "not known: " + text(n.path("error"));
    }

    private static void line(StringBuilder sb, String name, JsonNode value) {
        if (value != null && !value.isMissingNode() && !value.isNull()) {
            line(sb, name, text(value));
        }
    }

    private static void line(StringBuilder sb, String name, String value) {
        sb.append(field(name)).append(value).append('\n');
    }

    private static String field(String name) {
        String f = "  " + (name.isEmpty() ? "" : name + ":");
        StringBuilder sb = new StringBuilder(f);
        while (sb.length() < 16) {
            sb.append(' ');
        }
        if (sb.length() == f.length()) {
            sb.append(' ');
        }
        return sb.toString();
    }

    /** A value as shown: escaped and capped ({@link SafeText#display}); "-" when absent. */
    private static String text(JsonNode n) {
        return n == null || n.isMissingNode() || n.isNull() ? "-" : SafeText.display(n.asText());
    }

    private static String text(String s) {
        return SafeText.display(s);
    }

    private static List<String> strings(JsonNode array) {
        List<String> l = new ArrayList<>();
        for (JsonNode n : array) {
            l.add(n.asText());
        }
        return l;
    }
}

package dev.jamesmtasts.cli;

import java.io.PrintStream;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

import com.datastax.oss.driver.api.core.CqlSession;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.jamesmtasts.cache.CacheSettings;
import dev.jamesmtasts.cache.PolicyCache;
import dev.jamesmtasts.cache.PolicyPage;
import dev.jamesmtasts.cache.RefreshReport;
import dev.jamesmtasts.cache.RoundSummary;
import dev.jamesmtasts.cache.StoreException;
import dev.jamesmtasts.cache.StoredPolicy;
import dev.jamesmtasts.cache.StoredPolicyView;
import dev.jamesmtasts.cli.CassandraOptions.CassandraUnreachableException;
import dev.jamesmtasts.mtasts.Domains;
import dev.jamesmtasts.mtasts.MtaStsResolver;
import dev.jamesmtasts.mtasts.MxPattern;
import dev.jamesmtasts.mtasts.SafeText;
import dev.jamesmtasts.mtasts.StsPolicy;

/**
 * {@code mta-sts cache}: inspects and manages the shared policy cache in Cassandra, as any James
 * node sees it. {@code refresh} and {@code refresh-round} ask DNS and HTTPS with the resolver options
 * and write like a node (RFC 8461 §5.1: a failed refresh keeps a valid stored policy).
 *
 * <p>Exit status: 0 done, 1 not found ({@code show}/{@code evict} of an absent domain, or no cache
 * in the keyspace), 2 usage, 3 Cassandra unreachable.
 */
final class CacheCommand implements Subcommand {
    static final int DEFAULT_LIMIT = 100;

    @Override
    public String name() {
        return "cache";
    }

    @Override
    public String usage() {
        return "cache [OPTIONS] list [--limit N] [--page TOKEN] | show DOMAIN | refresh DOMAIN | evict DOMAIN | refresh-round\n"
                + "  Inspects and manages the shared policy cache in Cassandra.\n"
                + "  list                          stored policies, a page of N (default 100, at most 5000);\n"
                + "                                --page TOKEN continues where the previous page said\n"
                + "  show DOMAIN                   the stored row of DOMAIN (exit 1 when absent)\n"
                + "  refresh DOMAIN                re-fetch DOMAIN's policy now (a failure keeps a valid policy)\n"
                + "  evict DOMAIN                  delete DOMAIN's row (exit 1 when absent)\n"
                + "  refresh-round                 run one refresher round now (shares the round with James nodes)\n"
                + CassandraOptions.USAGE.replace("(port default 9042)", "(default 127.0.0.1:9042)")
                + "  resolver options (for refresh, refresh-round): as for lookup\n"
                + "  --json                        one JSON object per line\n";
    }

    @Override
    public int run(List<String> args, PrintStream out, PrintStream err) throws UsageException {
        ResolverOptions resolverOptions = new ResolverOptions();
        CassandraOptions cassandra = new CassandraOptions("127.0.0.1:" + CassandraOptions.DEFAULT_PORT);
        boolean json = false;
        int limit = DEFAULT_LIMIT;
        String page = null;
        String action = null;
        String domain = null;
        ArgCursor a = new ArgCursor(args);
        while (a.next()) {
            switch (a.current()) {
                case "--json":
                    json = true;
                    break;
                case "--limit":
                    limit = limit(a.value());
                    break;
                case "--page":
                    page = a.value();
                    break;
                default:
                    if (!resolverOptions.accept(a) && !cassandra.accept(a) && a.positional()) {
                        if (action == null) {
                            action = a.current();
                        } else if (domain == null) {
                            domain = a.current();
                        } else {
                            throw new UsageException("unexpected argument " + a.current());
                        }
                    }
            }
        }
        if (action == null) {
            throw new UsageException("no action given");
        }
        boolean needsDomain;
        switch (action) {
            case "list":
            case "refresh-round":
                needsDomain = false;
                break;
            case "show":
            case "refresh":
            case "evict":
                needsDomain = true;
                break;
            default:
                throw new UsageException("unknown action " + action);
        }
        if (needsDomain != (domain != null)) {
            throw new UsageException(needsDomain ? action + " needs a DOMAIN" : action + " takes no DOMAIN");
        }
        if (!action.equals("list") && (page != null || limit != DEFAULT_LIMIT)) {
            throw new UsageException("--limit and --page go with list");
        }
        if (domain != null) {
            try {
                domain = Domains.normalize(domain);
            } catch (IllegalArgumentException e) {
                throw new UsageException(e.getMessage());
            }
        }
        CacheSettings settings = cassandra.settings();
        try (MtaStsResolver resolver = resolverOptions.resolver();
             CqlSession session = cassandra.connect()) {
            if (!cassandra.keyspaceExists(session, settings)) {
                err.println("mta-sts cache: no policy cache in keyspace " + settings.keyspace() + " at "
                        + cassandra.contactPoint() + " (James or `mta-sts lookup --cassandra` creates it)");
                return MtaStsCli.EXIT_NOT_FOUND;
            }
            try (PolicyCache cache = cassandra.cache(session, resolver, settings)) {
                Output o = new Output(json, out, err);
                switch (action) {
                    case "list":
                        return o.list(cache, limit, page);
                    case "show":
                        return o.show(cache, domain);
                    case "refresh":
                        return o.refresh(cache, domain);
                    case "evict":
                        return o.evict(cache, domain);
                    default:
                        return o.round(cache);
                }
            } catch (StoreException e) {
                throw new CassandraUnreachableException(cassandra.contactPoint(), e);
            }
        } catch (CassandraUnreachableException e) {
            err.println("mta-sts cache: " + e.getMessage());
            return MtaStsCli.EXIT_UNREACHABLE;
        }
    }

    private static int limit(String s) throws UsageException {
        try {
            int n = Integer.parseInt(s);
            if (n >= 1 && n <= 5000) {
                return n;
            }
        } catch (NumberFormatException e) {
            // fall through
        }
        throw new UsageException("--limit: not a number from 1 to 5000: " + s);
    }

    /** Prints the results, human-readable or as JSON lines. */
    private static final class Output {
        private final boolean json;
        private final PrintStream out;
        private final PrintStream err;

        Output(boolean json, PrintStream out, PrintStream err) {
            this.json = json;
            this.out = out;
            this.err = err;
        }

        int list(PolicyCache cache, int limit, String page) throws UsageException {
            PolicyPage p;
            try {
                p = cache.list(limit, page);
            } catch (IllegalArgumentException e) {
                throw new UsageException("--page: " + e.getMessage());
            }
            for (StoredPolicy row : p.items()) {
                out.println(json ? CliJson.write(rowJson(row, false)) : CliJson.rowLine(StoredPolicyView.of(row, false)));
            }
            if (p.nextToken() != null) {
                out.println(json ? CliJson.write(CliJson.object().put("next_page", p.nextToken()))
                        : "# more: --page " + p.nextToken());
            }
            return 0;
        }

        int show(PolicyCache cache, String domain) {
            Optional<StoredPolicy> row = cache.show(domain);
            if (row.isEmpty()) {
                err.println("mta-sts cache: no cached policy for " + domain);
                return MtaStsCli.EXIT_NOT_FOUND;
            }
            out.print(json ? CliJson.write(rowJson(row.get(), true)) + "\n" : rowText(row.get()));
            return 0;
        }

        int refresh(PolicyCache cache, String domain) {
            RefreshReport r = cache.refresh(domain);
            Optional<StoredPolicy> row = cache.show(domain);
            String outcome = r.outcome().name().toLowerCase(Locale.ROOT).replace('_', '-');
            if (json) {
                ObjectNode o = CliJson.object().put("domain", domain).put("outcome", outcome).put("detail", r.detail());
                row.ifPresent(s -> o.set("stored", rowJson(s, false)));
                out.println(CliJson.write(o));
            } else {
                out.println(domain + ": " + outcome + " (" + SafeText.display(r.detail()) + ")");
                row.ifPresent(s -> out.print(rowText(s)));
            }
            return 0;
        }

        int evict(PolicyCache cache, String domain) {
            if (!cache.evict(domain)) {
                err.println("mta-sts cache: no cached policy for " + domain);
                return MtaStsCli.EXIT_NOT_FOUND;
            }
            out.println(json ? CliJson.write(CliJson.object().put("domain", domain).put("evicted", true)) : "evicted " + domain);
            return 0;
        }

        int round(PolicyCache cache) {
            RoundSummary s = cache.runRefreshRound();
            Map<String, Long> outcomes = s.outcomes().entrySet().stream().collect(Collectors.toMap(
                    e -> e.getKey().name().toLowerCase(Locale.ROOT).replace('_', '-'), Map.Entry::getValue,
                    (x, y) -> x, java.util.LinkedHashMap::new));
            if (json) {
                ObjectNode o = CliJson.object().put("round", s.round()).put("complete", s.complete())
                        .put("duration_ms", s.durationMillis());
                ObjectNode oc = o.putObject("outcomes");
                outcomes.forEach(oc::put);
                o.put("units_done", s.unitsDone()).put("units_taken_over", s.unitsTakenOver())
                        .put("index_rows_read", s.indexRowsRead()).put("policy_rows_read", s.policyRowsRead())
                        .put("rows_due", s.rowsDue()).put("errors", s.errors());
                out.println(CliJson.write(o));
            } else {
                out.println("round " + s.round() + (s.complete() ? " complete" : " incomplete (other nodes hold units)")
                        + " in " + s.durationMillis() + " ms");
                outcomes.forEach((k, v) -> out.println("  " + k + ": " + v));
                out.println("  units done: " + s.unitsDone() + " (taken over " + s.unitsTakenOver() + ")");
                out.println("  rows due: " + s.rowsDue() + ", index rows read: " + s.indexRowsRead()
                        + ", policy rows read: " + s.policyRowsRead() + ", errors: " + s.errors());
            }
            return 0;
        }
    }

    /** The stored row as JSON ({@link StoredPolicyView}); {@code withText} adds the policy text as fetched. */
    static ObjectNode rowJson(StoredPolicy r, boolean withText) {
        return CliJson.MAPPER.valueToTree(StoredPolicyView.of(r, withText));
    }

    /** {@code key: value} lines, then the policy text as fetched, for {@code show} and {@code refresh}. */
    static String rowText(StoredPolicy r) {
        StringBuilder sb = new StringBuilder();
        line(sb, "domain", r.domain());
        line(sb, "record id", r.recordId());
        StsPolicy p = r.policy();
        if (p != null) {
            line(sb, "mode", p.mode().text());
            for (MxPattern m : p.mx()) {
                line(sb, "mx", m);
            }
            line(sb, "max_age", p.maxAgeSeconds());
        }
        line(sb, "inserted", r.inserted());
        line(sb, "valid until", r.validUntil());
        line(sb, "last update", r.lastUpdate());
        line(sb, "last check", r.lastCheck());
        line(sb, "last use", r.lastUse());
        if (r.backoff()) {
            line(sb, "backoff until", r.backoffUntil());
            line(sb, "backoff reason", r.backoffReason());
        }
        if (p != null && p.text() != null) {
            // The body as served, line by line, with what a terminal would act on escaped (issue 9):
            // the stored text and --json stay byte-exact.
            String shown = SafeText.lines(p.text());
            sb.append('\n').append(shown);
            if (!shown.endsWith("\n")) {
                sb.append('\n');
            }
        }
        return sb.toString();
    }

    private static void line(StringBuilder sb, String key, Object value) {
        if (value != null) {
            sb.append(key).append(": ").append(SafeText.display(String.valueOf(value), Integer.MAX_VALUE)).append('\n');
        }
    }
}

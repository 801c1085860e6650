package dev.jamesmtasts.cli;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import com.datastax.oss.driver.api.core.CqlSession;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.jamesmtasts.cache.CacheResult;
import dev.jamesmtasts.cache.CacheSettings;
import dev.jamesmtasts.cache.PolicyCache;
import dev.jamesmtasts.cache.StoreException;
import dev.jamesmtasts.cache.StoredPolicy;
import dev.jamesmtasts.cli.CassandraOptions.CassandraUnreachableException;
import dev.jamesmtasts.mtasts.Domains;
import dev.jamesmtasts.mtasts.LookupResult;
import dev.jamesmtasts.mtasts.MtaStsResolver;
import dev.jamesmtasts.mtasts.MxPattern;
import dev.jamesmtasts.mtasts.SafeText;
import dev.jamesmtasts.mtasts.PolicyFetchResult;
import dev.jamesmtasts.mtasts.PolicySource;
import dev.jamesmtasts.mtasts.RecordLookupResult;
import dev.jamesmtasts.mtasts.StsPolicy;

/**
 * {@code mta-sts lookup}: what MTA-STS policy each domain publishes and why (RFC 8461 §3). Without
 * {@code --cassandra} it asks DNS and HTTPS directly, with no cache; with {@code --cassandra} it goes
 * through the shared {@link PolicyCache} (RFC 8461 §5.1 semantics: a stored policy is used, re-checked
 * against the TXT id, refreshed when the id changed) and stores what it fetched, as a James node would.
 * Domains are looked up concurrently; answers are printed in argument order. With {@code --json}, one
 * JSON object per line per domain:
 *
 * <pre>
 * {"domain":"…","result":"policy|none|fetch-error|temporary","record":{"id":"…"},
 *  "policy":{"mode":"enforce|testing|none","mx":["…"],"max_age":N},"reason":"…"}
 * </pre>
 *
 * ({@code record} and {@code policy} only where known); through the cache the object also carries
 * {@code "cache":{"outcome":"ok|backoff|notfound|error","fresh":B,"from_cache":B}}. Exit status 0
 * whenever every domain was answered, whatever the answers; 3 when Cassandra cannot be reached.
 */
final class LookupCommand implements Subcommand {
    private static final int MAX_THREADS = 16;

    @Override
    public String name() {
        return "lookup";
    }

    @Override
    public String usage() {
        return "lookup [OPTIONS] DOMAIN...\n"
                + "  Looks up the MTA-STS record and policy of each DOMAIN: directly (no cache), or through\n"
                + "  the shared Cassandra cache with --cassandra (stores what it fetches).\n"
                + ResolverOptions.USAGE
                + CassandraOptions.USAGE.replace("Cassandra contact point (port default 9042)",
                        "go through the cache in this Cassandra (port default 9042)")
                + "  --json                        one JSON object per line per domain\n";
    }

    @Override
    public int run(List<String> args, PrintStream out, PrintStream err) throws UsageException {
        ResolverOptions resolverOptions = new ResolverOptions();
        CassandraOptions cassandra = new CassandraOptions(null);
        boolean json = false;
        List<String> domains = new ArrayList<>();
        ArgCursor a = new ArgCursor(args);
        while (a.next()) {
            if (a.current().equals("--json")) {
                json = true;
            } else if (a.current().equals("--")) {
                domains.addAll(a.rest());
            } else if (!resolverOptions.accept(a) && !cassandra.accept(a) && a.positional()) {
                domains.add(a.current());
            }
        }
        if (domains.isEmpty()) {
            throw new UsageException("no domain given");
        }
        if (cassandra.contactPoint() == null && cassandra.tuned()) {
            throw new UsageException("--keyspace and --datacenter need --cassandra");
        }
        List<String> normalized = new ArrayList<>();
        for (String d : domains) {
            try {
                normalized.add(Domains.normalize(d));
            } catch (IllegalArgumentException e) {
                throw new UsageException(e.getMessage());
            }
        }
        CacheSettings cacheSettings = cassandra.contactPoint() == null ? null : cassandra.settings();
        try (MtaStsResolver resolver = resolverOptions.resolver()) {
            if (cacheSettings == null) {
                return answer(normalized, d -> Answer.of(resolver.lookup(d)), json, out, err);
            }
            FetchRecorder recorder = new FetchRecorder(resolver);
            try (CqlSession session = cassandra.connect();
                 PolicyCache cache = cassandra.cache(session, recorder, cacheSettings)) {
                return answer(normalized, d -> Answer.of(d, cache.get(d), recorder.fetched.contains(d), cache), json, out, err);
            } catch (CassandraUnreachableException e) {
                err.println("mta-sts lookup: " + e.getMessage());
                return MtaStsCli.EXIT_UNREACHABLE;
            }
        }
    }

    /** Looks up the distinct domains concurrently and prints the answers in argument order. */
    private static int answer(List<String> domains, Lookup lookup, boolean json, PrintStream out, PrintStream err) {
        Map<String, Future<Answer>> futures = new LinkedHashMap<>();
        ExecutorService pool = Executors.newFixedThreadPool(Math.min(MAX_THREADS, domains.size()), r -> {
            Thread th = new Thread(r, "mta-sts-lookup");
            th.setDaemon(true);
            return th;
        });
        try {
            for (String d : domains) {
                futures.computeIfAbsent(d, k -> pool.submit((Callable<Answer>) () -> lookup.answer(k)));
            }
            int status = 0;
            for (String d : domains) {
                Answer result;
                try {
                    result = futures.get(d).get();
                } catch (ExecutionException e) {
                    err.println(d + ": lookup failed: " + SafeText.display(String.valueOf(e.getCause())));
                    status = 1;
                    continue;
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return 1;
                }
                out.println(json ? result.toJson() : result.toText());
                out.flush();
            }
            return status;
        } finally {
            pool.shutdownNow();
        }
    }

    private interface Lookup {
        Answer answer(String domain) throws Exception;
    }

    /** One domain's answer, direct or through the cache, in the shape both outputs print. */
    static final class Answer {
        final String domain;
        final String result;
        final String recordId;
        final StsPolicy policy;
        final String reason;
        /** Null without the cache. */
        final CacheResult cache;
        final boolean fromCache;

        private Answer(String domain, String result, String recordId, StsPolicy policy, String reason,
                       CacheResult cache, boolean fromCache) {
            this.domain = domain;
            this.result = result;
            this.recordId = recordId;
            this.policy = policy;
            this.reason = reason;
            this.cache = cache;
            this.fromCache = fromCache;
        }

        static Answer of(LookupResult r) {
            return new Answer(r.domain(), r.kind().label(), r.record() == null ? null : r.record().id(), r.policy(),
                    r.reason(), null, false);
        }

        /**
         * A cache answer. {@code fetched}: this run made an HTTPS fetch for the domain, so the answer
         * is not from the cache. A policy of mode {@code none} is an OK answer without a policy to
         * apply: its stored row tells which policy and id it was.
         */
        static Answer of(String domain, CacheResult r, boolean fetched, PolicyCache cache) {
            StsPolicy policy = r.policy();
            String id = r.recordId();
            String result;
            switch (r.outcome()) {
                case OK:
                    result = "policy";
                    if (policy == null) {
                        StoredPolicy row = storedRow(cache, domain);
                        if (row != null && row.policy() != null) {
                            policy = row.policy();
                            id = row.recordId();
                        } else {
                            result = "none";
                        }
                    }
                    break;
                case NOT_FOUND:
                    result = "none";
                    break;
                case BACKOFF:
                    result = "fetch-error";
                    break;
                default:
                    result = "temporary";
            }
            boolean fromCache = !fetched && (r.outcome() == CacheResult.Outcome.OK || r.outcome() == CacheResult.Outcome.BACKOFF);
            return new Answer(domain, result, id, policy, r.reason(), r, fromCache);
        }

        private static StoredPolicy storedRow(PolicyCache cache, String domain) {
            try {
                return cache.show(domain).orElse(null);
            } catch (StoreException e) {
                return null;
            }
        }

        static String outcomeName(CacheResult.Outcome o) {
            return o == CacheResult.Outcome.NOT_FOUND ? "notfound" : o.name().toLowerCase(java.util.Locale.ROOT);
        }

        String toJson() {
            ObjectNode o = CliJson.object();
            o.put("domain", domain);
            o.put("result", result);
            if (recordId != null) {
                o.putObject("record").put("id", recordId);
            }
            if (policy != null) {
                CliJson.putPolicy(o, policy);
            }
            o.put("reason", reason);
            if (cache != null) {
                ObjectNode c = o.putObject("cache");
                c.put("outcome", outcomeName(cache.outcome()));
                c.put("fresh", cache.fresh());
                c.put("from_cache", fromCache);
            }
            return CliJson.write(o);
        }

        String toText() {
            StringBuilder sb = new StringBuilder(domain).append(": ").append(result);
            if (recordId != null) {
                sb.append(" (record id ").append(recordId).append(')');
            }
            if (policy != null) {
                sb.append("\n  mode:    ").append(policy.mode().text());
                for (MxPattern m : policy.mx()) {
                    sb.append("\n  mx:      ").append(m);
                }
                sb.append("\n  max_age: ").append(policy.maxAgeSeconds());
                if (policy.maxAgeClamped()) {
                    sb.append(" (clamped to one year)");
                }
            }
            if (policy == null || cache != null) {
                sb.append("\n  reason:  ").append(SafeText.display(reason));
            }
            if (cache != null) {
                sb.append("\n  cache:   ").append(outcomeName(cache.outcome()))
                        .append(fromCache ? ", from the cache" : ", not from the cache")
                        .append(cache.fresh() ? ", checked in DNS now" : ", not checked in DNS now");
            }
            return sb.toString();
        }
    }

    /** Passes lookups through and remembers which domains needed an HTTPS fetch. */
    static final class FetchRecorder implements PolicySource {
        private final PolicySource delegate;
        final Set<String> fetched = ConcurrentHashMap.newKeySet();

        FetchRecorder(PolicySource delegate) {
            this.delegate = delegate;
        }

        @Override
        public RecordLookupResult lookupRecord(String domain) {
            return delegate.lookupRecord(domain);
        }

        @Override
        public PolicyFetchResult fetchPolicy(String domain) {
            fetched.add(domain);
            return delegate.fetchPolicy(domain);
        }
    }
}

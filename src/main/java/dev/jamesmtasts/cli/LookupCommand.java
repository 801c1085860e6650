package dev.jamesmtasts.cli;

import java.io.PrintStream;
import java.math.BigDecimal;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.jamesmtasts.mtasts.Domains;
import dev.jamesmtasts.mtasts.LookupResult;
import dev.jamesmtasts.mtasts.MtaStsResolver;
import dev.jamesmtasts.mtasts.MtaStsSettings;
import dev.jamesmtasts.mtasts.MxPattern;
import dev.jamesmtasts.mtasts.StsPolicy;

/**
 * {@code mta-sts lookup}: asks DNS and HTTPS, with no cache, what MTA-STS policy each domain publishes
 * and why (RFC 8461 §3). Domains are looked up concurrently; answers are printed in argument order.
 * With {@code --json}, one JSON object per line per domain:
 *
 * <pre>
 * {"domain":"…","result":"policy|none|fetch-error|temporary","record":{"id":"…"},
 *  "policy":{"mode":"enforce|testing|none","mx":["…"],"max_age":N},"reason":"…"}
 * </pre>
 *
 * ({@code record} and {@code policy} only where known). Exit status 0 whenever every domain was
 * answered, whatever the answers.
 */
final class LookupCommand implements Subcommand {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MAX_THREADS = 16;

    @Override
    public String name() {
        return "lookup";
    }

    @Override
    public String usage() {
        return "lookup [OPTIONS] DOMAIN...\n"
                + "  Looks up the MTA-STS record and policy of each DOMAIN (no cache).\n"
                + "  --resolver HOST[:PORT]        DNS server to ask (repeatable; IPv6 as [ADDR]:PORT);\n"
                + "                                default: the system's resolvers\n"
                + "  --trust-store FILE            trust these CAs (PEM bundle, PKCS12 or JKS) instead of the JVM's\n"
                + "  --trust-store-password P      password of the trust store\n"
                + "  --allow-private-addresses     allow policy hosts on loopback/private/link-local addresses\n"
                + "  --policy-port N               HTTPS port of the policy host (default 443)\n"
                + "  --timeout SECONDS             bound on each policy fetch (default 60); DNS queries time out\n"
                + "                                after min(5, SECONDS) seconds\n"
                + "  --json                        one JSON object per line per domain\n";
    }

    @Override
    public int run(List<String> args, PrintStream out, PrintStream err) throws UsageException {
        MtaStsSettings.Builder settings = MtaStsSettings.builder();
        boolean json = false;
        Path trustStore = null;
        String password = null;
        List<String> domains = new ArrayList<>();
        for (int i = 0; i < args.size(); i++) {
            String arg = args.get(i);
            String value = null;
            int eq = arg.indexOf('=');
            if (arg.startsWith("--") && eq > 0) {
                value = arg.substring(eq + 1);
                arg = arg.substring(0, eq);
            }
            switch (arg) {
                case "--json":
                    json = true;
                    break;
                case "--allow-private-addresses":
                    settings.allowPrivateAddresses(true);
                    break;
                case "--resolver":
                    value = value != null ? value : next(args, ++i, arg);
                    settings.addResolver(resolver(value));
                    break;
                case "--trust-store":
                    trustStore = Path.of(value != null ? value : next(args, ++i, arg));
                    break;
                case "--trust-store-password":
                    password = value != null ? value : next(args, ++i, arg);
                    break;
                case "--policy-port":
                    settings.policyPort(port(value != null ? value : next(args, ++i, arg), arg));
                    break;
                case "--timeout":
                    Duration t = seconds(value != null ? value : next(args, ++i, arg));
                    settings.fetchTimeout(t);
                    settings.dnsTimeout(t.compareTo(MtaStsSettings.DEFAULT_DNS_TIMEOUT) < 0 ? t : MtaStsSettings.DEFAULT_DNS_TIMEOUT);
                    break;
                case "--":
                    domains.addAll(args.subList(i + 1, args.size()));
                    i = args.size();
                    break;
                default:
                    if (arg.startsWith("-")) {
                        throw new UsageException("unknown option " + arg);
                    }
                    domains.add(arg);
            }
        }
        if (domains.isEmpty()) {
            throw new UsageException("no domain given");
        }
        List<String> normalized = new ArrayList<>();
        for (String d : domains) {
            try {
                normalized.add(Domains.normalize(d));
            } catch (IllegalArgumentException e) {
                throw new UsageException(e.getMessage());
            }
        }
        if (password != null && trustStore == null) {
            throw new UsageException("--trust-store-password without --trust-store");
        }
        if (trustStore != null) {
            if (!Files.isReadable(trustStore)) {
                throw new UsageException("cannot read trust store " + trustStore);
            }
            settings.trustStore(trustStore, password == null ? null : password.toCharArray());
        }
        MtaStsResolver resolver;
        try {
            resolver = new MtaStsResolver(settings.build());
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
        ExecutorService pool = Executors.newFixedThreadPool(Math.min(MAX_THREADS, normalized.size()), r -> {
            Thread th = new Thread(r, "mta-sts-lookup");
            th.setDaemon(true);
            return th;
        });
        try {
            List<Future<LookupResult>> futures = new ArrayList<>();
            for (String d : normalized) {
                futures.add(pool.submit(() -> resolver.lookup(d)));
            }
            int status = 0;
            for (int i = 0; i < futures.size(); i++) {
                LookupResult result;
                try {
                    result = futures.get(i).get();
                } catch (ExecutionException e) {
                    err.println(normalized.get(i) + ": lookup failed: " + e.getCause());
                    status = 1;
                    continue;
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return 1;
                }
                out.println(json ? toJson(result) : toText(result));
                out.flush();
            }
            return status;
        } finally {
            pool.shutdownNow();
            resolver.close();
        }
    }

    /** The result name used in both outputs. */
    static String resultName(LookupResult.Kind kind) {
        switch (kind) {
            case POLICY: return "policy";
            case NONE: return "none";
            case FETCH_ERROR: return "fetch-error";
            default: return "temporary";
        }
    }

    static String toJson(LookupResult r) {
        ObjectNode o = JSON.createObjectNode();
        o.put("domain", r.domain());
        o.put("result", resultName(r.kind()));
        if (r.record() != null) {
            o.putObject("record").put("id", r.record().id());
        }
        StsPolicy p = r.policy();
        if (p != null) {
            ObjectNode policy = o.putObject("policy");
            policy.put("mode", p.mode().text());
            ArrayNode mx = policy.putArray("mx");
            for (MxPattern m : p.mx()) {
                mx.add(m.toString());
            }
            policy.put("max_age", p.maxAgeSeconds());
        }
        o.put("reason", r.reason());
        return o.toString();
    }

    static String toText(LookupResult r) {
        StringBuilder sb = new StringBuilder(r.domain()).append(": ").append(resultName(r.kind()));
        if (r.record() != null) {
            sb.append(" (record id ").append(r.record().id()).append(')');
        }
        StsPolicy p = r.policy();
        if (p != null) {
            sb.append("\n  mode:    ").append(p.mode().text());
            for (MxPattern m : p.mx()) {
                sb.append("\n  mx:      ").append(m);
            }
            sb.append("\n  max_age: ").append(p.maxAgeSeconds());
            if (p.maxAgeClamped()) {
                sb.append(" (clamped to one year)");
            }
        } else {
            sb.append("\n  reason:  ").append(r.reason());
        }
        return sb.toString();
    }

    private static String next(List<String> args, int i, String option) throws UsageException {
        if (i >= args.size()) {
            throw new UsageException(option + " needs a value");
        }
        return args.get(i);
    }

    static InetSocketAddress resolver(String spec) throws UsageException {
        String host = spec;
        int port = 53;
        if (spec.startsWith("[")) {
            int close = spec.indexOf(']');
            if (close < 0) {
                throw new UsageException("bad --resolver " + spec);
            }
            host = spec.substring(1, close);
            if (close + 1 < spec.length()) {
                if (spec.charAt(close + 1) != ':') {
                    throw new UsageException("bad --resolver " + spec);
                }
                port = port(spec.substring(close + 2), "--resolver");
            }
        } else if (spec.indexOf(':') >= 0 && spec.indexOf(':') == spec.lastIndexOf(':')) {
            host = spec.substring(0, spec.indexOf(':'));
            port = port(spec.substring(spec.indexOf(':') + 1), "--resolver");
        }
        if (host.isEmpty()) {
            throw new UsageException("bad --resolver " + spec);
        }
        try {
            return new InetSocketAddress(InetAddress.getByName(host), port);
        } catch (UnknownHostException e) {
            throw new UsageException("unknown resolver host " + host);
        }
    }

    private static int port(String s, String option) throws UsageException {
        try {
            int p = Integer.parseInt(s);
            if (p >= 1 && p <= 65535) {
                return p;
            }
        } catch (NumberFormatException e) {
            // fall through
        }
        throw new UsageException(option + ": not a port number: " + s);
    }

    private static Duration seconds(String s) throws UsageException {
        try {
            BigDecimal d = new BigDecimal(s);
            if (d.signum() > 0 && d.compareTo(BigDecimal.valueOf(86400)) <= 0) {
                return Duration.ofMillis(Math.max(1, d.movePointRight(3).longValue()));
            }
        } catch (NumberFormatException e) {
            // fall through
        }
        throw new UsageException("--timeout: not a positive number of seconds (at most 86400): " + s);
    }
}

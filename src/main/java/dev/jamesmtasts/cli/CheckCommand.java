package dev.jamesmtasts.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import com.datastax.oss.driver.api.core.CqlSession;
import com.fasterxml.jackson.databind.JsonNode;

import dev.jamesmtasts.cache.CacheSettings;
import dev.jamesmtasts.cache.PolicyCache;
import dev.jamesmtasts.cache.StoredPolicy;
import dev.jamesmtasts.cli.CassandraOptions.CassandraUnreachableException;
import dev.jamesmtasts.dane.DaneSettings;
import dev.jamesmtasts.james.DomainCheck;
import dev.jamesmtasts.james.MxTargets;
import dev.jamesmtasts.mtasts.Domains;
import dev.jamesmtasts.mtasts.HostPort;
import dev.jamesmtasts.mtasts.MtaStsResolver;
import dev.jamesmtasts.mtasts.MxLookup;
import dev.jamesmtasts.mtasts.SafeText;
import dev.jamesmtasts.mtasts.SettingException;
import dev.jamesmtasts.mtasts.StarttlsProbe;

/**
 * {@code mta-sts check DOMAIN}: how mail to DOMAIN would go out now, checked live without sending any
 * ({@link DomainCheck}): its MX hosts probed (STARTTLS, TLS version, certificate chain and names), its
 * MTA-STS policy published and cached, its TLS-RPT record, and the verdict of the next delivery attempt.
 * Standalone, with the lookup options (DNS, trust store) and the mailet's default settings, optionally
 * reading the cached policy from Cassandra (never writing); or {@code --jmx HOST:PORT}: the check runs
 * inside that James, with its delivery mailet's settings, DNS and trust store
 * ({@code MtaStsMBean.checkDomain}). Text (one section per MX) or {@code --json} (one object).
 *
 * <p>Exit status: 0 the next attempt would deliver; 1 it would not (deferred, failed) or the check could
 * not tell (its deadline passed) or failed; 2 usage; 3 Cassandra or the JMX agent cannot be reached.
 */
final class CheckCommand implements Subcommand {
    static final int DEFAULT_SMTP_PORT = 25;

    @Override
    public String name() {
        return "check";
    }

    @Override
    public String usage() {
        return "check [OPTIONS] DOMAIN\n"
                + "  How mail to DOMAIN would go out now, checked live without sending any: MX hosts (STARTTLS,\n"
                + "  TLS version, certificate), the MTA-STS policy published and cached, the TLS-RPT record, and\n"
                + "  the verdict of the next delivery attempt. Exit 0 when it would deliver, 1 when not.\n"
                + ResolverOptions.USAGE.replace("(PEM bundle, PKCS12 or JKS) instead of the JVM's",
                        "(PEM, PKCS12 or JKS) instead of the JVM's,\n"
                        + "                                for the policy host and the MX certificates")
                + CassandraOptions.USAGE.replace("Cassandra contact point (port default 9042)",
                        "read the cached policy from this Cassandra (read only)")
                + "  --smtp-port N                 the MX hosts' SMTP port (default 25)\n"
                + "  --smtp-timeout SECONDS        bound on the connect and on each SMTP reply (default 10)\n"
                + "  --helo NAME                   the name given in EHLO (default: this host's name)\n"
                + "  --deadline SECONDS            bound on the whole check (default 30)\n"
                + "  --dane follow|off             apply DANE as a mailet with dane=follow does (default), after the\n"
                + "                                same DNSSEC self-check, through the --resolver servers\n"
                + "  --dnssec-trust-anchors FILE   DS or DNSKEY records to validate from (default: the root's)\n"
                + "  --jmx HOST:PORT               run the check in that James instead (its settings, DNS, trust\n"
                + "                                store and cache); with --user U --password P; no other option\n"
                + "  --json                        one JSON object\n";
    }

    @Override
    public int run(List<String> args, PrintStream out, PrintStream err) throws UsageException {
        ResolverOptions resolverOptions = new ResolverOptions();
        CassandraOptions cassandra = new CassandraOptions(null);
        boolean json = false;
        boolean local = false;
        int smtpPort = DEFAULT_SMTP_PORT;
        Duration smtpTimeout = DomainCheck.DEFAULT_STEP_TIMEOUT;
        Duration deadline = DomainCheck.DEFAULT_DEADLINE;
        String helo = null;
        boolean dane = true;
        java.nio.file.Path anchors = null;
        JmxOptions jmx = new JmxOptions();
        String domain = null;
        ArgCursor a = new ArgCursor(args);
        while (a.next()) {
            switch (a.current()) {
                case "--json":
                    json = true;
                    break;
                case "--smtp-port":
                    smtpPort = port(a.value());
                    local = true;
                    break;
                case "--smtp-timeout":
                    smtpTimeout = ResolverOptions.seconds(a.value(), "--smtp-timeout");
                    local = true;
                    break;
                case "--deadline":
                    deadline = ResolverOptions.seconds(a.value(), "--deadline");
                    local = true;
                    break;
                case "--helo":
                    helo = a.value();
                    if (!Domains.isLdhDomain(helo)) {
                        throw new UsageException("--helo: not a host name: " + SafeText.quoted(helo));
                    }
                    local = true;
                    break;
                case "--dane":
                    String mode = a.value();
                    if (!mode.equals("follow") && !mode.equals("off")) {
                        throw new UsageException("--dane: follow or off, got " + SafeText.quoted(mode));
                    }
                    dane = mode.equals("follow");
                    local = true;
                    break;
                case "--dnssec-trust-anchors":
                    anchors = java.nio.file.Path.of(a.value());
                    local = true;
                    break;
                default:
                    if (resolverOptions.accept(a) || cassandra.accept(a)) {
                        local = true;
                    } else if (!jmx.accept(a) && a.positional()) {
                        if (domain != null) {
                            throw new UsageException("one DOMAIN at a time (got " + SafeText.quoted(domain) + " and "
                                    + SafeText.quoted(a.current()) + ")");
                        }
                        domain = a.current();
                    }
            }
        }
        if (domain == null) {
            throw new UsageException("no domain given");
        }
        try {
            domain = Domains.normalize(domain);
        } catch (IllegalArgumentException e) {
            throw new UsageException(SafeText.display(e.getMessage()));
        }
        if (jmx.target() != null && local) {
            throw new UsageException("--jmx runs the check in that James, with its own settings: no resolver, Cassandra"
                    + " or SMTP option goes with it");
        }
        jmx.credentialsOnlyWithTarget();
        if (cassandra.contactPoint() == null && cassandra.tuned()) {
            throw new UsageException("--keyspace and --datacenter need --cassandra");
        }
        if (jmx.target() != null) {
            return throughJames(jmx, domain, json, out, err);
        }
        if (!dane && anchors != null) {
            throw new UsageException("--dnssec-trust-anchors goes with --dane follow");
        }
        DaneSettings daneSettings = null;
        if (dane) {
            try {
                daneSettings = anchors == null ? DaneSettings.defaults()
                        : DaneSettings.builder().trustAnchorsFile(anchors).build();
            } catch (SettingException e) {
                throw new UsageException("--dnssec-trust-anchors: " + e.requirement());
            }
        }
        return standalone(resolverOptions, cassandra, daneSettings, smtpPort, smtpTimeout, deadline,
                helo != null ? helo : localHostName(), domain, json, out, err);
    }

    private static int standalone(ResolverOptions resolverOptions, CassandraOptions cassandra, DaneSettings dane,
                                  int smtpPort, Duration smtpTimeout, Duration deadline, String helo, String domain,
                                  boolean json, PrintStream out, PrintStream err) throws UsageException {
        CacheSettings cacheSettings = cassandra.contactPoint() == null ? null : cassandra.settings();
        try (MtaStsResolver resolver = resolverOptions.resolver();
             StarttlsProbe probe = new StarttlsProbe(resolverOptions.smtpTrust(), helo, smtpTimeout.toMillis())) {
            DomainCheck.Builder check = DomainCheck.builder().resolver(resolver).probe(probe).deadline(deadline)
                    .mx(MxTargets.dns(new MxLookup(resolver.settings()), smtpPort));
            if (dane != null) {
                check.dane(dane);
            }
            if (cacheSettings == null) {
                return run(check, domain, json, out);
            }
            try (CqlSession session = cassandra.connect()) {
                String where = "Cassandra " + cassandra.contactPoint() + ", keyspace " + cacheSettings.keyspace();
                if (!cassandra.keyspaceExists(session, cacheSettings)) {
                    // read only: the check never creates the schema
                    check.storedRows(rows(where + " (no policy cache in it)", d -> Optional.empty()), cacheSettings.backoff());
                    return run(check, domain, json, out);
                }
                try (PolicyCache cache = cassandra.cache(session, resolver, cacheSettings)) {
                    check.storedRows(rows(where, cache::show), cacheSettings.backoff());
                    return run(check, domain, json, out);
                }
            } catch (CassandraUnreachableException e) {
                err.println("mta-sts check: " + e.getMessage());
                return MtaStsCli.EXIT_UNREACHABLE;
            }
        } catch (IllegalArgumentException e) {
            throw new UsageException(SafeText.display(e.getMessage()));
        }
    }

    private static int run(DomainCheck.Builder builder, String domain, boolean json, PrintStream out) {
        try (DomainCheck check = builder.build()) {
            return print(check.run(domain), json, out);
        }
    }

    private static DomainCheck.StoredRows rows(String where, java.util.function.Function<String, Optional<StoredPolicy>> read) {
        return new DomainCheck.StoredRows() {
            @Override
            public Optional<StoredPolicy> read(String d) {
                return read.apply(d);
            }

            @Override
            public String where() {
                return where;
            }
        };
    }

    /** Runs the check in a James over JMX ({@code checkDomain}), which answers the report as JSON. */
    private static int throughJames(JmxOptions jmx, String domain, boolean json, PrintStream out, PrintStream err) {
        String target = jmx.target();
        return jmx.connect("mta-sts check", "check", err, (connection, name) -> {
            String report = (String) connection.invoke(name, "checkDomain", new Object[] {domain},
                    new String[] {String.class.getName()});
            JsonNode node;
            try {
                node = CliJson.MAPPER.readTree(report);
            } catch (IOException e) {
                err.println("mta-sts check: the James at " + target + " answered no JSON report: "
                        + SafeText.of(e.getMessage()));
                return 1;
            }
            return print(node, json, out);
        });
    }

    private static int print(Map<String, Object> report, boolean json, PrintStream out) {
        JsonNode tree = CliJson.MAPPER.valueToTree(report);
        return print(tree, json, out);
    }

    private static int print(JsonNode report, boolean json, PrintStream out) {
        if (json) {
            out.println(CliJson.write(report));
        } else {
            out.print(CheckText.render(report));
        }
        out.flush();
        return DomainCheck.DELIVER.equals(report.path("verdict").path("action").asText()) ? 0 : 1;
    }

    private static int port(String s) throws UsageException {
        try {
            return HostPort.PORT.check("--smtp-port", Integer.parseInt(s));
        } catch (NumberFormatException e) {
            throw new UsageException("--smtp-port: not a number: " + SafeText.quoted(s));
        } catch (SettingException e) {
            throw new UsageException("--smtp-port: " + e.requirement());
        }
    }

    private static String localHostName() {
        try {
            String n = InetAddress.getLocalHost().getHostName();
            return Domains.isLdhDomain(n) ? n : "localhost";
        } catch (IOException e) {
            return "localhost";
        }
    }
}

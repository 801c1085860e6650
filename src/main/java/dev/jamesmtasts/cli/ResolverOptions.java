package dev.jamesmtasts.cli;

import java.math.BigDecimal;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import dev.jamesmtasts.mtasts.HostPort;
import dev.jamesmtasts.mtasts.MtaStsResolver;
import dev.jamesmtasts.mtasts.MtaStsSettings;
import dev.jamesmtasts.mtasts.SettingException;

/**
 * The options that say how to ask DNS and HTTPS (RFC 8461 §3.1, §3.2), shared by {@code lookup}
 * and {@code cache}.
 */
final class ResolverOptions {
    static final String USAGE =
              "  --resolver HOST[:PORT]        DNS server to ask (repeatable; IPv6 as [ADDR]:PORT);\n"
            + "                                default: the system's resolvers\n"
            + "  --trust-store FILE            trust these CAs (PEM bundle, PKCS12 or JKS) instead of the JVM's\n"
            + "  --trust-store-password P      password of the trust store\n"
            + "  --allow-private-addresses     allow policy hosts on loopback/private/link-local addresses\n"
            + "  --policy-port N               HTTPS port of the policy host (default 443)\n"
            + "  --timeout SECONDS             bound on each policy fetch (default 60); DNS queries time out\n"
            + "                                after min(5, SECONDS) seconds\n";

    private final MtaStsSettings.Builder settings = MtaStsSettings.builder();
    private Path trustStore;
    private String password;

    /** Consumes the cursor's current option when it is one of these; false otherwise. */
    boolean accept(ArgCursor a) throws UsageException {
        switch (a.current()) {
            case "--allow-private-addresses":
                settings.allowPrivateAddresses(true);
                return true;
            case "--resolver":
                settings.addResolver(hostPort(a.value(), 53, "--resolver"));
                return true;
            case "--trust-store":
                trustStore = Path.of(a.value());
                return true;
            case "--trust-store-password":
                password = a.value();
                return true;
            case "--policy-port":
                int port = integer(a.value(), "--policy-port");
                set("--policy-port", () -> settings.policyPort(port));
                return true;
            case "--timeout":
                Duration t = seconds(a.value(), "--timeout");
                settings.fetchTimeout(t);
                settings.dnsTimeout(t.compareTo(MtaStsSettings.DEFAULT_DNS_TIMEOUT) < 0 ? t : MtaStsSettings.DEFAULT_DNS_TIMEOUT);
                return true;
            default:
                return false;
        }
    }

    /** The resolver for these options; the caller closes it. */
    MtaStsResolver resolver() throws UsageException {
        if (password != null && trustStore == null) {
            throw new UsageException("--trust-store-password without --trust-store");
        }
        if (trustStore != null) {
            if (!Files.isReadable(trustStore)) {
                throw new UsageException("cannot read trust store " + trustStore);
            }
            settings.trustStore(trustStore, password == null ? null : password.toCharArray());
        }
        try {
            return new MtaStsResolver(settings.build());
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
    }

    /**
     * The CAs MX certificates must chain to in {@code mta-sts check}: those of {@code --trust-store} (the
     * policy host's too), else the JVM's.
     */
    javax.net.ssl.X509ExtendedTrustManager smtpTrust() throws UsageException {
        if (trustStore == null) {
            return dev.jamesmtasts.mtasts.StarttlsProbe.trustManager((java.security.KeyStore) null);
        }
        if (!Files.isReadable(trustStore)) {
            throw new UsageException("cannot read trust store " + trustStore);
        }
        try {
            return dev.jamesmtasts.mtasts.StarttlsProbe.trustManager(trustStore, password == null ? null : password.toCharArray());
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
    }

    /**
     * {@code HOST}, {@code HOST:PORT}, {@code [IPV6]} or {@code [IPV6]:PORT} (a bare IPv6 address too), the
     * syntax of the configuration's host lists ({@link HostPort}), resolved here.
     */
    static InetSocketAddress hostPort(String spec, int defaultPort, String option) throws UsageException {
        InetSocketAddress a;
        try {
            a = HostPort.parse(spec, defaultPort);
        } catch (IllegalArgumentException e) {
            throw new UsageException(option + ": " + e.getMessage());
        }
        try {
            return new InetSocketAddress(InetAddress.getByName(a.getHostString()), a.getPort());
        } catch (UnknownHostException e) {
            throw new UsageException(option + ": unknown host " + a.getHostString());
        }
    }

    /** Applies one builder setter; its range check (the one the configuration file also uses) names the option. */
    private static void set(String option, Runnable setter) throws UsageException {
        try {
            setter.run();
        } catch (SettingException e) {
            throw new UsageException(option + ": " + e.requirement());
        }
    }

    private static int integer(String s, String option) throws UsageException {
        try {
            return Integer.parseInt(s);
        } catch (NumberFormatException e) {
            throw new UsageException(option + ": not a number: " + s);
        }
    }

    /** A positive number of seconds, at most a day, for {@code option}. */
    static Duration seconds(String s, String option) throws UsageException {
        try {
            BigDecimal d = new BigDecimal(s);
            if (d.signum() > 0 && d.compareTo(BigDecimal.valueOf(86400)) <= 0) {
                return Duration.ofMillis(Math.max(1, d.movePointRight(3).longValue()));
            }
        } catch (NumberFormatException e) {
            // fall through
        }
        throw new UsageException(option + ": not a positive number of seconds (at most 86400): " + s);
    }
}

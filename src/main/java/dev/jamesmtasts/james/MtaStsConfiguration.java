package dev.jamesmtasts.james;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

import org.apache.commons.configuration2.Configuration;

/**
 * The shared component's settings, read from {@code conf/mta-sts.properties} (James's
 * {@code PropertiesProvider}, name {@code mta-sts}). Every key is optional and has the default shown;
 * a key with a wrong value, or an unknown key (a typo would otherwise be silently ignored), fails
 * James's start with an {@link IllegalArgumentException} naming the key. Durations are written
 * {@code 500ms}, {@code 5s}, {@code 10m}, {@code 1h}, {@code 2d} or in ISO-8601 ({@code PT5M}).
 *
 * <table>
 * <caption>Keys</caption>
 * <tr><th>key</th><th>default</th><th>meaning</th></tr>
 * <tr><td>cassandra.contactPoints</td><td>127.0.0.1:9042</td><td>comma-separated host:port list</td></tr>
 * <tr><td>cassandra.localDatacenter</td><td>datacenter1</td><td>the driver's local datacenter</td></tr>
 * <tr><td>cassandra.keyspace</td><td>mta_sts</td><td>keyspace of the policy tables (created if absent)</td></tr>
 * <tr><td>cassandra.replicationFactor</td><td>1</td><td>SimpleStrategy replication factor used when creating the keyspace</td></tr>
 * <tr><td>cassandra.useServerSession</td><td>auto</td><td>auto: reuse James's own CqlSession when the server binds one
 *     (distributed app), else open one; true: require James's session; false: always open our own</td></tr>
 * <tr><td>dns.resolvers</td><td>(empty)</td><td>comma-separated ip[:port] DNS servers for TXT lookups; empty = system resolvers</td></tr>
 * <tr><td>dns.timeout</td><td>5s</td><td>per DNS query</td></tr>
 * <tr><td>fetch.timeout</td><td>60s</td><td>whole policy fetch (RFC 8461 §3.3 suggests one minute)</td></tr>
 * <tr><td>fetch.maxBytes</td><td>65536</td><td>policy body limit (RFC 8461 §3.3: 64 KiB)</td></tr>
 * <tr><td>fetch.port</td><td>443</td><td>HTTPS port of mta-sts.&lt;domain&gt; (only tests change it)</td></tr>
 * <tr><td>fetch.contentType</td><td>strict</td><td>strict: require text/plain (RFC 8461 §3.2 SHOULD); lenient: accept any</td></tr>
 * <tr><td>fetch.allowPrivateAddresses</td><td>false</td><td>allow fetching from loopback/private addresses (tests only)</td></tr>
 * <tr><td>fetch.trustStore</td><td>(empty)</td><td>trust store for policy hosts; empty = JVM default</td></tr>
 * <tr><td>fetch.trustStorePassword</td><td>(empty)</td><td>its password</td></tr>
 * <tr><td>fetch.trustStoreType</td><td>(empty = PKCS12)</td><td>its type</td></tr>
 * <tr><td>cache.nearCacheSize</td><td>10000</td><td>entries kept in memory in front of Cassandra</td></tr>
 * <tr><td>cache.nearCacheTtl</td><td>60s</td><td>how long an in-memory entry is trusted without reading the store
 *     (past it, a still-valid entry is used while the store is re-read in the background)</td></tr>
 * <tr><td>cache.idCheckInterval</td><td>60s</td><td>minimum time between two TXT id checks of one domain; a due
 *     check with a valid policy cached runs in the background; 0s = every delivery checks synchronously</td></tr>
 * <tr><td>cache.lastUseWriteInterval</td><td>1h</td><td>how often the last-use time of a row is written</td></tr>
 * <tr><td>cache.backoff</td><td>5m</td><td>no refetch of a failed policy before this (RFC 8461 §3.3)</td></tr>
 * <tr><td>refresher.enabled</td><td>true</td><td>run the proactive refresher</td></tr>
 * <tr><td>refresher.interval</td><td>24h</td><td>time between two refresher rounds</td></tr>
 * <tr><td>refresher.staleAfter</td><td>12h</td><td>a policy fetched longer ago than this is refreshed</td></tr>
 * <tr><td>refresher.deleteUnusedAfter</td><td>180d</td><td>rows unused for this long are deleted</td></tr>
 * <tr><td>refresher.concurrency</td><td>4</td><td>parallel refreshes</td></tr>
 * <tr><td>refresher.window</td><td>1h</td><td>random spread of a round's start, so that nodes do not refresh together</td></tr>
 * </table>
 */
public final class MtaStsConfiguration {
    /** How the Cassandra session is obtained. */
    public enum ServerSession { AUTO, TRUE, FALSE }

    /** Media type rule for the policy body. */
    public enum ContentType { STRICT, LENIENT }

    static final Map<String, String> DEFAULTS;

    static {
        Map<String, String> d = new LinkedHashMap<>();
        d.put("cassandra.contactPoints", "127.0.0.1:9042");
        d.put("cassandra.localDatacenter", "datacenter1");
        d.put("cassandra.keyspace", "mta_sts");
        d.put("cassandra.replicationFactor", "1");
        d.put("cassandra.useServerSession", "auto");
        d.put("dns.resolvers", "");
        d.put("dns.timeout", "5s");
        d.put("fetch.timeout", "60s");
        d.put("fetch.maxBytes", "65536");
        d.put("fetch.port", "443");
        d.put("fetch.contentType", "strict");
        d.put("fetch.allowPrivateAddresses", "false");
        d.put("fetch.trustStore", "");
        d.put("fetch.trustStorePassword", "");
        d.put("fetch.trustStoreType", "");
        d.put("cache.nearCacheSize", "10000");
        d.put("cache.nearCacheTtl", "60s");
        d.put("cache.idCheckInterval", "60s");
        d.put("cache.lastUseWriteInterval", "1h");
        d.put("cache.backoff", "5m");
        d.put("refresher.enabled", "true");
        d.put("refresher.interval", "24h");
        d.put("refresher.staleAfter", "12h");
        d.put("refresher.deleteUnusedAfter", "180d");
        d.put("refresher.concurrency", "4");
        d.put("refresher.window", "1h");
        DEFAULTS = Collections.unmodifiableMap(d);
    }

    private final List<InetSocketAddress> contactPoints;
    private final String localDatacenter;
    private final String keyspace;
    private final int replicationFactor;
    private final ServerSession useServerSession;
    private final List<InetSocketAddress> dnsResolvers;
    private final Duration dnsTimeout;
    private final Duration fetchTimeout;
    private final int fetchMaxBytes;
    private final int fetchPort;
    private final ContentType fetchContentType;
    private final boolean fetchAllowPrivateAddresses;
    private final Optional<String> fetchTrustStore;
    private final String fetchTrustStorePassword;
    private final String fetchTrustStoreType;
    private final int nearCacheSize;
    private final Duration nearCacheTtl;
    private final Duration idCheckInterval;
    private final Duration lastUseWriteInterval;
    private final Duration backoff;
    private final boolean refresherEnabled;
    private final Duration refresherInterval;
    private final Duration refresherStaleAfter;
    private final Duration refresherDeleteUnusedAfter;
    private final int refresherConcurrency;
    private final Duration refresherWindow;

    private MtaStsConfiguration(Map<String, String> v) {
        contactPoints = hostPorts(v, "cassandra.contactPoints", 9042, false);
        localDatacenter = nonEmpty(v, "cassandra.localDatacenter");
        keyspace = v.get("cassandra.keyspace");
        if (!keyspace.matches("[A-Za-z][A-Za-z0-9_]{0,47}")) {
            throw bad("cassandra.keyspace", keyspace, "a CQL identifier (letter, then letters, digits, _; at most 48)");
        }
        replicationFactor = integer(v, "cassandra.replicationFactor", 1, 100);
        useServerSession = enumValue(v, "cassandra.useServerSession", ServerSession.class);
        dnsResolvers = hostPorts(v, "dns.resolvers", 53, true);
        dnsTimeout = duration(v, "dns.timeout");
        fetchTimeout = duration(v, "fetch.timeout");
        fetchMaxBytes = integer(v, "fetch.maxBytes", 1, 16 * 1024 * 1024);
        fetchPort = integer(v, "fetch.port", 1, 65535);
        fetchContentType = enumValue(v, "fetch.contentType", ContentType.class);
        fetchAllowPrivateAddresses = bool(v, "fetch.allowPrivateAddresses");
        String ts = v.get("fetch.trustStore").trim();
        fetchTrustStore = ts.isEmpty() ? Optional.empty() : Optional.of(ts);
        fetchTrustStorePassword = v.get("fetch.trustStorePassword");
        fetchTrustStoreType = v.get("fetch.trustStoreType").trim().isEmpty() ? "PKCS12" : v.get("fetch.trustStoreType").trim();
        nearCacheSize = integer(v, "cache.nearCacheSize", 0, Integer.MAX_VALUE);
        nearCacheTtl = duration(v, "cache.nearCacheTtl");
        idCheckInterval = duration(v, "cache.idCheckInterval");
        lastUseWriteInterval = duration(v, "cache.lastUseWriteInterval");
        backoff = duration(v, "cache.backoff");
        refresherEnabled = bool(v, "refresher.enabled");
        refresherInterval = positive(duration(v, "refresher.interval"), "refresher.interval", v);
        refresherStaleAfter = duration(v, "refresher.staleAfter");
        refresherDeleteUnusedAfter = duration(v, "refresher.deleteUnusedAfter");
        refresherConcurrency = integer(v, "refresher.concurrency", 1, 1024);
        refresherWindow = duration(v, "refresher.window");
        positive(dnsTimeout, "dns.timeout", v);
        positive(fetchTimeout, "fetch.timeout", v);
    }

    /** All defaults (no file). */
    public static MtaStsConfiguration defaults() {
        return new MtaStsConfiguration(DEFAULTS);
    }

    /**
     * Reads a commons-configuration2 view of {@code mta-sts.properties}.
     *
     * @throws IllegalArgumentException naming the first unknown key or wrong value
     */
    public static MtaStsConfiguration from(Configuration conf) {
        Map<String, String> values = new LinkedHashMap<>(DEFAULTS);
        for (Iterator<String> it = conf.getKeys(); it.hasNext(); ) {
            String key = it.next();
            if (!DEFAULTS.containsKey(key)) {
                throw new IllegalArgumentException("mta-sts.properties: unknown key '" + key + "' (known keys: "
                        + String.join(", ", DEFAULTS.keySet()) + ")");
            }
            // commons-configuration splits on ',' only when told to; join lists back to their text.
            String[] parts = conf.getStringArray(key);
            values.put(key, parts.length == 0 ? "" : String.join(",", parts).trim());
        }
        return new MtaStsConfiguration(values);
    }

    /** Reads {@code key=value} pairs (tests, tools). */
    public static MtaStsConfiguration from(Map<String, String> properties) {
        Map<String, String> values = new LinkedHashMap<>(DEFAULTS);
        for (Map.Entry<String, String> e : properties.entrySet()) {
            if (!DEFAULTS.containsKey(e.getKey())) {
                throw new IllegalArgumentException("mta-sts.properties: unknown key '" + e.getKey() + "'");
            }
            values.put(e.getKey(), e.getValue() == null ? "" : e.getValue().trim());
        }
        return new MtaStsConfiguration(values);
    }

    /** Parses {@code 500ms}, {@code 5s}, {@code 10m}, {@code 1h}, {@code 2d}, or ISO-8601 ({@code PT5M}, {@code P2D}). */
    public static Duration parseDuration(String text) {
        String t = text == null ? "" : text.trim();
        if (t.isEmpty()) {
            throw new IllegalArgumentException("empty duration");
        }
        if (t.charAt(0) == 'P' || t.charAt(0) == 'p') {
            try {
                return Duration.parse(t.toUpperCase(Locale.ROOT));
            } catch (DateTimeParseException e) {
                throw new IllegalArgumentException("not an ISO-8601 duration: " + t);
            }
        }
        int i = 0;
        while (i < t.length() && Character.isDigit(t.charAt(i))) {
            i++;
        }
        if (i == 0 || i > 12) {
            throw new IllegalArgumentException("expected a number followed by ms, s, m, h or d: " + t);
        }
        long n = Long.parseLong(t.substring(0, i));
        String unit = t.substring(i).trim().toLowerCase(Locale.ROOT);
        switch (unit) {
            case "ms":
                return Duration.ofMillis(n);
            case "s":
                return Duration.ofSeconds(n);
            case "m":
                return Duration.ofMinutes(n);
            case "h":
                return Duration.ofHours(n);
            case "d":
                return Duration.ofDays(n);
            default:
                throw new IllegalArgumentException("unknown unit '" + unit + "' in " + t + " (use ms, s, m, h, d)");
        }
    }

    private static IllegalArgumentException bad(String key, String value, String expected) {
        return new IllegalArgumentException("mta-sts.properties: " + key + "='" + value + "' is invalid: expected "
                + expected);
    }

    private static String nonEmpty(Map<String, String> v, String key) {
        String s = v.get(key).trim();
        if (s.isEmpty()) {
            throw bad(key, s, "a non-empty value");
        }
        return s;
    }

    private static int integer(Map<String, String> v, String key, int min, int max) {
        String s = v.get(key).trim();
        try {
            int n = Integer.parseInt(s);
            if (n < min || n > max) {
                throw bad(key, s, "an integer from " + min + " to " + max);
            }
            return n;
        } catch (NumberFormatException e) {
            throw bad(key, s, "an integer from " + min + " to " + max);
        }
    }

    private static boolean bool(Map<String, String> v, String key) {
        String s = v.get(key).trim().toLowerCase(Locale.ROOT);
        if (s.equals("true")) {
            return true;
        }
        if (s.equals("false")) {
            return false;
        }
        throw bad(key, s, "true or false");
    }

    private static <E extends Enum<E>> E enumValue(Map<String, String> v, String key, Class<E> type) {
        String s = v.get(key).trim();
        try {
            return Enum.valueOf(type, s.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            List<String> allowed = new ArrayList<>();
            for (E c : type.getEnumConstants()) {
                allowed.add(c.name().toLowerCase(Locale.ROOT));
            }
            throw bad(key, s, String.join("|", allowed));
        }
    }

    private static Duration duration(Map<String, String> v, String key) {
        String s = v.get(key);
        try {
            Duration d = parseDuration(s);
            if (d.isNegative()) {
                throw new IllegalArgumentException("negative");
            }
            return d;
        } catch (IllegalArgumentException | ArithmeticException e) {
            throw bad(key, s, "a duration like 5s, 10m, 1h, 2d or PT5M (" + e.getMessage() + ")");
        }
    }

    private static Duration positive(Duration d, String key, Map<String, String> v) {
        if (d.isZero()) {
            throw bad(key, v.get(key), "a duration greater than zero");
        }
        return d;
    }

    private static List<InetSocketAddress> hostPorts(Map<String, String> v, String key, int defaultPort,
                                                     boolean emptyAllowed) {
        String s = v.get(key).trim();
        List<InetSocketAddress> list = new ArrayList<>();
        if (s.isEmpty()) {
            if (!emptyAllowed) {
                throw bad(key, s, "a comma-separated host:port list");
            }
            return List.of();
        }
        for (String part : s.split(",")) {
            String p = part.trim();
            if (p.isEmpty()) {
                throw bad(key, s, "a comma-separated host:port list without empty entries");
            }
            String host = p;
            int port = defaultPort;
            if (p.startsWith("[")) {
                int close = p.indexOf(']');
                if (close < 0) {
                    throw bad(key, s, "[ipv6]:port");
                }
                host = p.substring(1, close);
                if (close + 1 < p.length()) {
                    if (p.charAt(close + 1) != ':') {
                        throw bad(key, s, "[ipv6]:port");
                    }
                    port = portOf(key, s, p.substring(close + 2));
                }
            } else {
                int colon = p.lastIndexOf(':');
                if (colon >= 0 && p.indexOf(':') == colon) {
                    host = p.substring(0, colon);
                    port = portOf(key, s, p.substring(colon + 1));
                }
            }
            if (host.isEmpty()) {
                throw bad(key, s, "host[:port] entries");
            }
            list.add(InetSocketAddress.createUnresolved(host, port));
        }
        return List.copyOf(list);
    }

    private static int portOf(String key, String s, String port) {
        try {
            int n = Integer.parseInt(port);
            if (n < 1 || n > 65535) {
                throw new NumberFormatException();
            }
            return n;
        } catch (NumberFormatException e) {
            throw bad(key, s, "ports from 1 to 65535");
        }
    }

    public List<InetSocketAddress> cassandraContactPoints() {
        return contactPoints;
    }

    public String cassandraLocalDatacenter() {
        return localDatacenter;
    }

    public String cassandraKeyspace() {
        return keyspace;
    }

    public int cassandraReplicationFactor() {
        return replicationFactor;
    }

    public ServerSession cassandraUseServerSession() {
        return useServerSession;
    }

    /** Empty: the system resolvers. */
    public List<InetSocketAddress> dnsResolvers() {
        return dnsResolvers;
    }

    public Duration dnsTimeout() {
        return dnsTimeout;
    }

    public Duration fetchTimeout() {
        return fetchTimeout;
    }

    public int fetchMaxBytes() {
        return fetchMaxBytes;
    }

    public int fetchPort() {
        return fetchPort;
    }

    public ContentType fetchContentType() {
        return fetchContentType;
    }

    public boolean fetchAllowPrivateAddresses() {
        return fetchAllowPrivateAddresses;
    }

    public Optional<String> fetchTrustStore() {
        return fetchTrustStore;
    }

    public String fetchTrustStorePassword() {
        return fetchTrustStorePassword;
    }

    public String fetchTrustStoreType() {
        return fetchTrustStoreType;
    }

    public int cacheNearCacheSize() {
        return nearCacheSize;
    }

    public Duration cacheNearCacheTtl() {
        return nearCacheTtl;
    }

    public Duration cacheIdCheckInterval() {
        return idCheckInterval;
    }

    public Duration cacheLastUseWriteInterval() {
        return lastUseWriteInterval;
    }

    public Duration cacheBackoff() {
        return backoff;
    }

    public boolean refresherEnabled() {
        return refresherEnabled;
    }

    public Duration refresherInterval() {
        return refresherInterval;
    }

    public Duration refresherStaleAfter() {
        return refresherStaleAfter;
    }

    public Duration refresherDeleteUnusedAfter() {
        return refresherDeleteUnusedAfter;
    }

    public int refresherConcurrency() {
        return refresherConcurrency;
    }

    public Duration refresherWindow() {
        return refresherWindow;
    }
}

package dev.jamesmtasts.mtasts;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@code HOST}, {@code HOST:PORT}, {@code [IPV6]}, {@code [IPV6]:PORT} (or bare IPv6) syntax shared by
 * the configuration ({@code dns.resolvers}, {@code cassandra.contactPoints}) and the command line
 * ({@code --resolver}, {@code --cassandra}). Nothing is resolved here.
 */
public final class HostPort {
    /** A TCP/UDP port. */
    public static final IntRange PORT = IntRange.between(1, 65535);

    private HostPort() {
    }

    /**
     * Parses one address; the result is unresolved.
     *
     * @throws IllegalArgumentException saying what is wrong
     */
    public static InetSocketAddress parse(String spec, int defaultPort) {
        String s = spec == null ? "" : spec.trim();
        String host = s;
        int port = defaultPort;
        if (s.startsWith("[")) {
            int close = s.indexOf(']');
            if (close < 0) {
                throw new IllegalArgumentException("'" + s + "' lacks the ']' of [IPv6]:port");
            }
            host = s.substring(1, close);
            if (close + 1 < s.length()) {
                if (s.charAt(close + 1) != ':') {
                    throw new IllegalArgumentException("'" + s + "' is not [IPv6]:port");
                }
                port = port(s.substring(close + 2), s);
            }
        } else if (s.indexOf(':') >= 0 && s.indexOf(':') == s.lastIndexOf(':')) {
            host = s.substring(0, s.indexOf(':'));
            port = port(s.substring(s.indexOf(':') + 1), s);
        }
        if (host.isEmpty()) {
            throw new IllegalArgumentException("'" + s + "' has no host");
        }
        return InetSocketAddress.createUnresolved(host, port);
    }

    /**
     * Parses a comma-separated list (empty text: an empty list).
     *
     * @throws IllegalArgumentException saying which entry is wrong
     */
    public static List<InetSocketAddress> parseList(String text, int defaultPort) {
        String s = text == null ? "" : text.trim();
        if (s.isEmpty()) {
            return List.of();
        }
        List<InetSocketAddress> list = new ArrayList<>();
        for (String part : s.split(",", -1)) {
            if (part.trim().isEmpty()) {
                throw new IllegalArgumentException("empty entry in the list");
            }
            list.add(parse(part, defaultPort));
        }
        return List.copyOf(list);
    }

    private static int port(String text, String spec) {
        try {
            return PORT.check("port", Integer.parseInt(text));
        } catch (NumberFormatException | SettingException e) {
            throw new IllegalArgumentException("'" + spec + "': the port must be a number " + PORT.describe());
        }
    }
}

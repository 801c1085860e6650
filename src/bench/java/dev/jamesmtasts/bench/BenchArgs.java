package dev.jamesmtasts.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The arguments of a benchmark's {@code main}: {@code key=value} in any order, as {@code bin/bench}'s
 * usage shows ({@code bin/bench main ColdGetBenchmark policies=100000 gets=20000}), or plain values in
 * the order of the keys ({@code bin/bench main ColdGetBenchmark 100000 20000}).
 */
final class BenchArgs {
    private final List<String> keys;
    private final Map<String, String> values = new LinkedHashMap<>();

    private BenchArgs(List<String> keys) {
        this.keys = keys;
    }

    /** @throws IllegalArgumentException for an unknown key or too many values, naming the keys known */
    static BenchArgs parse(String[] args, String... keys) {
        BenchArgs a = new BenchArgs(List.of(keys));
        List<String> positional = new ArrayList<>();
        for (String arg : args) {
            int eq = arg.indexOf('=');
            if (eq < 0) {
                positional.add(arg);
                continue;
            }
            String key = arg.substring(0, eq);
            if (!a.keys.contains(key)) {
                throw new IllegalArgumentException("unknown argument " + arg + " (known: " + String.join(", ", keys) + ")");
            }
            a.values.put(key, arg.substring(eq + 1));
        }
        if (positional.size() > keys.length) {
            throw new IllegalArgumentException("too many arguments " + positional + " (known: " + String.join(", ", keys) + ")");
        }
        for (int i = 0; i < positional.size(); i++) {
            a.values.putIfAbsent(keys[i], positional.get(i));
        }
        return a;
    }

    int intValue(String key, int defaultValue) {
        if (!keys.contains(key)) {
            throw new IllegalStateException("undeclared key " + key);
        }
        String v = values.get(key);
        if (v == null) {
            return defaultValue;
        }
        try {
            return Integer.parseInt(v.replace("_", "").replace(",", ""));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + "=" + v + ": not a whole number");
        }
    }
}

package dev.jamesmtasts.mtasts;

/**
 * The allowed range of an integer setting, declared once next to the setting
 * ({@link MtaStsSettings#POLICY_PORT}, ...): the builder checks it, the configuration reader documents it.
 */
public final class IntRange {
    private final int min;
    private final int max;

    private IntRange(int min, int max) {
        if (min > max) {
            throw new IllegalArgumentException(min + " > " + max);
        }
        this.min = min;
        this.max = max;
    }

    /** {@code min} or more. */
    public static IntRange atLeast(int min) {
        return new IntRange(min, Integer.MAX_VALUE);
    }

    /** From {@code min} to {@code max}, both included. */
    public static IntRange between(int min, int max) {
        return new IntRange(min, max);
    }

    public int min() {
        return min;
    }

    public int max() {
        return max;
    }

    /**
     * Returns {@code value} when in range.
     *
     * @throws SettingException naming {@code setting} otherwise
     */
    public int check(String setting, int value) {
        if (value < min || value > max) {
            throw new SettingException(setting, "must be " + describe());
        }
        return value;
    }

    /** E.g. {@code at least 1}, {@code from 1 to 65535}. */
    public String describe() {
        return max == Integer.MAX_VALUE ? "at least " + min : "from " + min + " to " + max;
    }

    @Override
    public String toString() {
        return describe();
    }
}

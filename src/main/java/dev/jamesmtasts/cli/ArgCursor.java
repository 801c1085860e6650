package dev.jamesmtasts.cli;

import java.util.List;

/**
 * Walks a subcommand's arguments: {@code --option VALUE} and {@code --option=VALUE} both work; a
 * lone {@code --} ends the options.
 */
final class ArgCursor {
    private final List<String> args;
    private int index = -1;
    private String current;
    private String inline;

    ArgCursor(List<String> args) {
        this.args = args;
    }

    /** Moves to the next argument; false at the end. */
    boolean next() {
        index++;
        if (index >= args.size()) {
            return false;
        }
        String a = args.get(index);
        int eq = a.indexOf('=');
        if (a.startsWith("--") && eq > 0) {
            current = a.substring(0, eq);
            inline = a.substring(eq + 1);
        } else {
            current = a;
            inline = null;
        }
        return true;
    }

    /** The current argument (an option's name without its {@code =VALUE}). */
    String current() {
        return current;
    }

    /** The current option's value: its {@code =VALUE}, else the next argument. */
    String value() throws UsageException {
        if (inline != null) {
            return inline;
        }
        index++;
        if (index >= args.size()) {
            throw new UsageException(current + " needs a value");
        }
        return args.get(index);
    }

    /** Everything after the current argument (after {@code --}); the cursor moves to the end. */
    List<String> rest() {
        List<String> r = args.subList(index + 1, args.size());
        index = args.size();
        return r;
    }

    /** Fails on an unknown option; true when the current argument is not an option. */
    boolean positional() throws UsageException {
        if (current.startsWith("-") && current.length() > 1) {
            throw new UsageException("unknown option " + current);
        }
        return true;
    }
}

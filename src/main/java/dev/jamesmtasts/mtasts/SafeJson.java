package dev.jamesmtasts.mtasts;

import com.fasterxml.jackson.core.SerializableString;
import com.fasterxml.jackson.core.io.CharacterEscapes;
import com.fasterxml.jackson.core.io.SerializedString;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * {@link SafeText}'s rule for JSON output (the CLI's {@code --json}, WebAdmin): JSON keeps every value
 * byte-exact (a policy body is the policy as served), but no character {@link SafeText#isUnsafe unsafe}
 * on a terminal or in a viewer is written raw. Jackson escapes C0 controls by itself; this adds DEL,
 * the C1 controls, the bidi controls, U+2028/U+2029 and lone surrogates, each as {@code \\uXXXX}.
 * Beside SafeText because it is the same rule, for the two layers (cli, james) that write JSON.
 */
public final class SafeJson {
    private static final ObjectMapper MAPPER = newMapper();

    private SafeJson() {
    }

    /** A new mapper whose output escapes every unsafe character. */
    public static ObjectMapper newMapper() {
        ObjectMapper m = new ObjectMapper();
        m.getFactory().setCharacterEscapes(new Escapes());
        return m;
    }

    /** {@code node} as one line of JSON, unsafe characters escaped (unlike {@link JsonNode#toString()}). */
    public static String write(JsonNode node) {
        try {
            return MAPPER.writeValueAsString(node);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("a JSON tree cannot fail to serialise", e);
        }
    }

    private static final class Escapes extends CharacterEscapes {
        private static final long serialVersionUID = 1L;
        private final int[] ascii;

        Escapes() {
            ascii = standardAsciiEscapesForJSON();
            ascii[0x7F] = ESCAPE_STANDARD;
        }

        @Override
        public int[] getEscapeCodesForAscii() {
            return ascii;
        }

        @Override
        public SerializableString getEscapeSequence(int ch) {
            if (!SafeText.isUnsafe(ch)) {
                return null;
            }
            return new SerializedString(String.format("\\u%04X", ch));
        }
    }
}

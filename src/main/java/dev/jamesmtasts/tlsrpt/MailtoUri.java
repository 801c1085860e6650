package dev.jamesmtasts.tlsrpt;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import dev.jamesmtasts.mtasts.Domains;
import dev.jamesmtasts.mtasts.SafeText;

/**
 * A {@code mailto:} rua (RFC 8460 §3: "reports should be submitted to the specified email address
 * ([RFC6068])"), parsed minimally and safely: the rua comes from the policy domain's DNS and must not
 * choose anything of the report message but its recipients.
 *
 * <ul>
 *   <li>The URI is printable ASCII (RFC 6068 §2: anything else is percent-encoded), at most
 *       {@value #MAX_LENGTH} characters, no fragment.</li>
 *   <li>The addresses are the comma-separated list before {@code ?} (RFC 6068 §2 {@code to}), each
 *       percent-decoded as UTF-8, at most {@value #MAX_ADDRESSES} of them, duplicates dropped.</li>
 *   <li>Each decoded address must be a plain {@code addr-spec}: a dot-atom local part (RFC 5322
 *       §3.4.1; quoted local parts and internationalized addresses are refused) {@code @} a domain
 *       name (A-labels; no address literal), so no CR, LF or other control character, no display name
 *       and no second address can come out of decoding: no header injection.</li>
 *   <li>Header fields ({@code ?subject=...&body=...&cc=...&to=...}) are ignored, {@code to} included:
 *       the report message's headers and body are the sender's (RFC 8460 §5.3).</li>
 * </ul>
 */
public final class MailtoUri {
    /** Longest rua accepted. */
    public static final int MAX_LENGTH = 2048;
    /** Most addresses one rua may name. */
    public static final int MAX_ADDRESSES = 10;
    private static final String ATEXT_SPECIALS = "!#$%&'*+-/=?^_`{|}~";

    private final String uri;
    private final List<String> addresses;

    private MailtoUri(String uri, List<String> addresses) {
        this.uri = uri;
        this.addresses = List.copyOf(addresses);
    }

    /**
     * Parses a {@code mailto:} rua.
     *
     * @throws InvalidRuaException naming what is wrong, the rua escaped
     */
    public static MailtoUri parse(String rua) throws InvalidRuaException {
        if (rua == null) {
            throw new InvalidRuaException("rua is null");
        }
        String shown = SafeText.quoted(rua);
        if (rua.length() > MAX_LENGTH) {
            throw new InvalidRuaException("rua longer than " + MAX_LENGTH + " characters: " + shown);
        }
        checkPrintableAscii(rua, "rua", shown);
        if (!rua.regionMatches(true, 0, "mailto:", 0, 7)) {
            throw new InvalidRuaException("rua is no mailto: URI: " + shown);
        }
        if (rua.indexOf('#') >= 0) {
            throw new InvalidRuaException("mailto: rua with a fragment: " + shown);
        }
        int q = rua.indexOf('?');
        String to = rua.substring(7, q < 0 ? rua.length() : q);
        if (to.isEmpty()) {
            throw new InvalidRuaException("mailto: rua names no address before '?' (header fields such as to= are not used): " + shown);
        }
        Set<String> addresses = new LinkedHashSet<>();
        for (String encoded : to.split(",", -1)) {
            if (addresses.size() == MAX_ADDRESSES) {
                throw new InvalidRuaException("mailto: rua names more than " + MAX_ADDRESSES + " addresses: " + shown);
            }
            addresses.add(addrSpec(percentDecode(encoded, shown), shown));
        }
        return new MailtoUri(rua, new ArrayList<>(addresses));
    }

    /** The recipient addresses ({@code local@domain}, the domain lower-case A-labels), in order. */
    public List<String> addresses() {
        return addresses;
    }

    /** The rua as published, escaped. */
    @Override
    public String toString() {
        return SafeText.of(uri, 300);
    }

    private static String addrSpec(String address, String shown) throws InvalidRuaException {
        checkPrintableAscii(address, "address", shown);
        int at = address.lastIndexOf('@');
        if (at <= 0 || at == address.length() - 1) {
            throw new InvalidRuaException("not an address (local@domain): " + SafeText.quoted(address) + " in " + shown);
        }
        String local = address.substring(0, at);
        if (local.length() > 64 || !isDotAtom(local)) {
            throw new InvalidRuaException("local part is no dot-atom of at most 64 characters (RFC 5322 §3.4.1; quoted"
                    + " local parts are not accepted): " + SafeText.quoted(address) + " in " + shown);
        }
        String domain;
        try {
            domain = Domains.normalize(address.substring(at + 1));
        } catch (IllegalArgumentException e) {
            throw new InvalidRuaException("address domain is no domain name (no address literal): "
                    + SafeText.quoted(address) + " in " + shown);
        }
        if (!domain.contains(".")) {
            throw new InvalidRuaException("address domain has a single label: " + SafeText.quoted(address) + " in " + shown);
        }
        return local + "@" + domain;
    }

    /** dot-atom-text of RFC 5322 §3.2.3: atext runs separated by single dots (also the msg-id halves of §3.6.4). */
    static boolean isDotAtom(String s) {
        if (s.isEmpty() || s.charAt(0) == '.' || s.charAt(s.length() - 1) == '.' || s.contains("..")) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean atext = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || ATEXT_SPECIALS.indexOf(c) >= 0;
            if (!atext && c != '.') {
                return false;
            }
        }
        return true;
    }

    /** Printable ASCII only, space excluded: no control character, no CR/LF, nothing to fold or inject. */
    private static void checkPrintableAscii(String s, String what, String shown) throws InvalidRuaException {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c <= 0x20 || c >= 0x7f) {
                throw new InvalidRuaException(what + " holds a character other than printable ASCII"
                        + (what.equals("rua") ? "" : " once percent-decoded (internationalized addresses are not supported)")
                        + ": " + shown);
            }
        }
    }

    /** RFC 3986 §2.1 percent-decoding; the bytes must be UTF-8 (RFC 6068 §2). */
    private static String percentDecode(String s, String shown) throws InvalidRuaException {
        if (s.indexOf('%') < 0) {
            return s;
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c != '%') {
                bytes.write(c);
                continue;
            }
            int hi = i + 2 < s.length() ? Character.digit(s.charAt(i + 1), 16) : -1;
            int lo = i + 2 < s.length() ? Character.digit(s.charAt(i + 2), 16) : -1;
            if (hi < 0 || lo < 0) {
                throw new InvalidRuaException("malformed percent-encoding in " + shown);
            }
            bytes.write(hi * 16 + lo);
            i += 2;
        }
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes.toByteArray())).toString();
        } catch (CharacterCodingException e) {
            throw new InvalidRuaException("percent-encoded bytes are not UTF-8 in " + shown);
        }
    }
}

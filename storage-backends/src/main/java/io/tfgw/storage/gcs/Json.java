package io.tfgw.storage.gcs;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A small JSON reader for credential files and token responses (objects, arrays, strings, numbers, literals), so
 * that reading them needs no JSON library on the backends' class path. Malformed text is an
 * {@link IllegalArgumentException} naming the offset.
 */
final class Json {
  private final String text;
  private int at;

  private Json(String text) {
    this.text = text;
  }

  /** The top-level object of {@code text}. */
  @SuppressWarnings("unchecked")
  static Map<String, Object> object(String text) {
    Json j = new Json(text);
    Object v = j.value();
    j.space();
    if (!(v instanceof Map) || j.at != text.length()) {
      throw new IllegalArgumentException("not a JSON object");
    }
    return (Map<String, Object>) v;
  }

  private void space() {
    while (at < text.length() && Character.isWhitespace(text.charAt(at))) {
      at++;
    }
  }

  private IllegalArgumentException bad() {
    return new IllegalArgumentException("malformed JSON at offset " + at);
  }

  private Object value() {
    space();
    if (at >= text.length()) {
      throw bad();
    }
    char c = text.charAt(at);
    switch (c) {
      case '{': {
        at++;
        Map<String, Object> m = new LinkedHashMap<>();
        space();
        if (peek('}')) {
          return m;
        }
        do {
          space();
          if (at >= text.length() || text.charAt(at) != '"') {
            throw bad();
          }
          String key = string();
          space();
          expect(':');
          m.put(key, value());
          space();
        } while (peek(','));
        expect('}');
        return m;
      }
      case '[': {
        at++;
        List<Object> l = new ArrayList<>();
        space();
        if (peek(']')) {
          return l;
        }
        do {
          l.add(value());
          space();
        } while (peek(','));
        expect(']');
        return l;
      }
      case '"':
        return string();
      default:
        int start = at;
        while (at < text.length() && "+-0123456789.eEtruefalsn".indexOf(text.charAt(at)) >= 0) {
          at++;
        }
        String word = text.substring(start, at);
        switch (word) {
          case "true": return Boolean.TRUE;
          case "false": return Boolean.FALSE;
          case "null": return null;
          default:
            try {
              return Double.parseDouble(word);
            } catch (NumberFormatException e) {
              throw bad();
            }
        }
    }
  }

  private boolean peek(char c) {
    if (at < text.length() && text.charAt(at) == c) {
      at++;
      return true;
    }
    return false;
  }

  private void expect(char c) {
    if (!peek(c)) {
      throw bad();
    }
  }

  private String string() {
    expect('"');
    StringBuilder b = new StringBuilder();
    while (at < text.length()) {
      char c = text.charAt(at++);
      if (c == '"') {
        return b.toString();
      }
      if (c != '\\') {
        b.append(c);
        continue;
      }
      if (at >= text.length()) {
        break;
      }
      char e = text.charAt(at++);
      switch (e) {
        case 'n' -> b.append('\n');
        case 't' -> b.append('\t');
        case 'r' -> b.append('\r');
        case 'b' -> b.append('\b');
        case 'f' -> b.append('\f');
        case 'u' -> {
          if (at + 4 > text.length()) {
            throw bad();
          }
          try {
            b.append((char) Integer.parseInt(text.substring(at, at + 4), 16));
          } catch (NumberFormatException x) {
            throw bad();
          }
          at += 4;
        }
        default -> b.append(e);
      }
    }
    throw bad();
  }
}

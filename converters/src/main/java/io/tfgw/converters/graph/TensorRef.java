package io.tfgw.converters.graph;

/**
 * A reference to a node's output as GraphDef inputs write it: {@code node}, {@code node:1}, or {@code ^node} for a
 * control dependency. Function bodies also use {@code node:out_arg:index}; those are kept as written.
 */
public record TensorRef(String node, int index, boolean control) {
  public static TensorRef parse(String input) {
    if (input.startsWith("^")) {
      return new TensorRef(input.substring(1), -1, true);
    }
    int colon = input.lastIndexOf(':');
    if (colon > 0) {
      String tail = input.substring(colon + 1);
      if (tail.chars().allMatch(Character::isDigit) && !tail.isEmpty()) {
        String head = input.substring(0, colon);
        if (!head.contains(":")) {
          return new TensorRef(head, Integer.parseInt(tail), false);
        }
      }
    }
    return new TensorRef(input, 0, false);
  }

  /** The canonical tensor name, {@code node:index}. */
  public String tensorName() {
    return control ? "^" + node : node + ":" + index;
  }

  @Override
  public String toString() {
    return control ? "^" + node : index == 0 ? node : node + ":" + index;
  }
}

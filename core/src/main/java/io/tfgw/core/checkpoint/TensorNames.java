package io.tfgw.core.checkpoint;

import io.tfgw.core.tensor.TensorInfo;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/** Helps users who mistyped a tensor name. */
final class TensorNames {
  private TensorNames() {}

  static String suggestions(String wanted, List<TensorInfo> tensors) {
    if (tensors.isEmpty()) {
      return " (it holds no tensors)";
    }
    String w = wanted.toLowerCase(Locale.ROOT);
    List<String> close = tensors.stream().map(TensorInfo::name)
        .sorted(Comparator.comparingInt(n -> distance(w, n.toLowerCase(Locale.ROOT))))
        .limit(3).toList();
    return "; similar names: " + String.join(", ", close) + " (" + tensors.size()
        + " tensors in all; `tfgw inspect` lists them)";
  }

  private static int distance(String a, String b) {
    if (b.contains(a) || a.contains(b)) {
      return Math.abs(a.length() - b.length()) / 4;
    }
    int[] prev = new int[b.length() + 1];
    int[] cur = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      prev[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      cur[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
        cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
      }
      int[] t = prev;
      prev = cur;
      cur = t;
    }
    return prev[b.length()];
  }
}

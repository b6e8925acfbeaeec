package io.tfgw.converters.convert;

import io.tfgw.core.WrongInputException;
import io.tfgw.core.tensor.TensorInfo;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Which source tensors a conversion writes and under which names: filters, the moving-average swap, then renames
 * in the order given. The recipes come from TF's tutorials users learn from: restoring a subset, restoring with a
 * name map, and reading {@code X/ExponentialMovingAverage} as {@code X}.
 */
public final class NamePlan {
  /** The shadow-variable suffix TF's {@code ExponentialMovingAverage} appends. */
  public static final String EMA_SUFFIX = "/ExponentialMovingAverage";

  /**
   * TF 1.2's {@code RNN_NAME_REPLACEMENTS} ({@code contrib/rnn/python/tools/checkpoint_convert.py}), in its order.
   */
  private static final String[][] RNN_TF12 = {
      {"basic_rnn_cell/weights", "basic_rnn_cell/kernel"},
      {"basic_rnn_cell/biases", "basic_rnn_cell/bias"},
      {"gru_cell/weights", "gru_cell/kernel"},
      {"gru_cell/biases", "gru_cell/bias"},
      {"gru_cell/gates/weights", "gru_cell/gates/kernel"},
      {"gru_cell/gates/biases", "gru_cell/gates/bias"},
      {"gru_cell/candidate/weights", "gru_cell/candidate/kernel"},
      {"gru_cell/candidate/biases", "gru_cell/candidate/bias"},
      {"basic_lstm_cell/weights", "basic_lstm_cell/kernel"},
      {"basic_lstm_cell/biases", "basic_lstm_cell/bias"},
      {"lstm_cell/weights", "lstm_cell/kernel"},
      {"lstm_cell/biases", "lstm_cell/bias"},
      {"lstm_cell/projection/weights", "lstm_cell/projection/kernel"},
      {"lstm_cell/projection/biases", "lstm_cell/projection/bias"},
      {"output_projection_wrapper/weights", "output_projection_wrapper/kernel"},
      {"output_projection_wrapper/biases", "output_projection_wrapper/bias"},
      {"input_projection_wrapper/weights", "input_projection_wrapper/kernel"},
      {"input_projection_wrapper/biases", "input_projection_wrapper/bias"},
      {"lstm_block_wrapper/weights", "lstm_block_wrapper/kernel"},
      {"lstm_block_wrapper/biases", "lstm_block_wrapper/bias"},
      {"layer_norm_basic_lstm_cell/weights", "layer_norm_basic_lstm_cell/kernel"},
      {"layer_norm_basic_lstm_cell/biases", "layer_norm_basic_lstm_cell/bias"},
      {"ugrnn_cell/weights", "ugrnn_cell/kernel"},
      {"ugrnn_cell/biases", "ugrnn_cell/bias"},
      {"nas_rnn/weights", "nas_rnn/kernel"},
      {"nas_rnn/recurrent_weights", "nas_rnn/recurrent_kernel"},
      {"intersection_rnn_cell/weights", "intersection_rnn_cell/kernel"},
      {"intersection_rnn_cell/biases", "intersection_rnn_cell/bias"},
      {"intersection_rnn_cell/in_projection/weights", "intersection_rnn_cell/in_projection/kernel"},
      {"intersection_rnn_cell/in_projection/biases", "intersection_rnn_cell/in_projection/bias"},
      {"phased_lstm_cell/mask_gates/weights", "phased_lstm_cell/mask_gates/kernel"},
      {"phased_lstm_cell/mask_gates/biases", "phased_lstm_cell/mask_gates/bias"},
      {"phased_lstm_cell/new_input/weights", "phased_lstm_cell/new_input/kernel"},
      {"phased_lstm_cell/new_input/biases", "phased_lstm_cell/new_input/bias"},
      {"phased_lstm_cell/output_gate/weights", "phased_lstm_cell/output_gate/kernel"},
      {"phased_lstm_cell/output_gate/biases", "phased_lstm_cell/output_gate/bias"},
      {"attention_cell_wrapper/weights", "attention_cell_wrapper/kernel"},
      {"attention_cell_wrapper/biases", "attention_cell_wrapper/bias"},
      {"attention_cell_wrapper/attn_output_projection/weights", "attention_cell_wrapper/attn_output_projection/kernel"},
      {"attention_cell_wrapper/attn_output_projection/biases", "attention_cell_wrapper/attn_output_projection/bias"},
      {"attention_cell_wrapper/attention/weights", "attention_cell_wrapper/attention/kernel"},
      {"attention_cell_wrapper/attention/biases", "attention_cell_wrapper/attention/bias"},
      {"attention_decoder/weights", "attention_decoder/kernel"},
      {"attention_decoder/biases", "attention_decoder/bias"},
      {"attention_decoder/Attention_0/weights", "attention_decoder/Attention_0/kernel"},
      {"attention_decoder/Attention_0/biases", "attention_decoder/Attention_0/bias"},
      {"attention_decoder/AttnOutputProjection/weights", "attention_decoder/AttnOutputProjection/kernel"},
      {"attention_decoder/AttnOutputProjection/biases", "attention_decoder/AttnOutputProjection/bias"},
      {"attention_decoder/Attention_0/Linear/Bias", "attention_decoder/Attention_0/bias"},
      {"attention_decoder/Attention_0/Linear/Matrix", "attention_decoder/Attention_0/kernel"},
      {"attention_decoder/AttnOutputProjection/Linear/Bias", "attention_decoder/AttnOutputProjection/bias"},
      {"attention_decoder/AttnOutputProjection/Linear/Matrix", "attention_decoder/AttnOutputProjection/kernel"},
      {"attention_decoder/LSTMCell/B", "attention_decoder/lstm_cell/bias"},
      {"attention_decoder/LSTMCell/W_0", "attention_decoder/lstm_cell/kernel"},
      {"attention_decoder/Linear/Bias", "attention_decoder/bias"},
      {"attention_decoder/Linear/Matrix", "attention_decoder/kernel"},
  };

  /** One output tensor: its source tensor and its new name. */
  public record Entry(TensorInfo source, String name) {}

  private final List<Predicate<String>> includes = new ArrayList<>();
  private final List<Predicate<String>> excludes = new ArrayList<>();
  private final List<UnaryOperator<String>> renames = new ArrayList<>();
  private boolean ema;

  public NamePlan include(String globOrRegex) {
    includes.add(matcher(globOrRegex));
    return this;
  }

  public NamePlan exclude(String globOrRegex) {
    excludes.add(matcher(globOrRegex));
    return this;
  }

  /** {@code REGEX=REPLACEMENT}, Java regex syntax ({@code $1} for groups); replaces every match in the name. */
  public NamePlan rename(String rule) {
    int eq = rule.indexOf('=');
    if (eq <= 0) {
      throw new IllegalArgumentException("A rename is REGEX=REPLACEMENT, got '" + rule + "'");
    }
    Pattern p;
    try {
      p = Pattern.compile(rule.substring(0, eq));
    } catch (PatternSyntaxException e) {
      throw new IllegalArgumentException("Bad regex in --rename '" + rule + "': " + e.getDescription());
    }
    String replacement = rule.substring(eq + 1);
    renames.add(name -> p.matcher(name).replaceAll(replacement));
    return this;
  }

  /** Exact old name to new name (a {@code --map} file entry). */
  public NamePlan map(String from, String to) {
    renames.add(name -> name.equals(from) ? to : name);
    return this;
  }

  /** Take {@code X/ExponentialMovingAverage} as {@code X} and drop the shadows. */
  public NamePlan ema(boolean on) {
    this.ema = on;
    return this;
  }

  /**
   * The renames of TF 1.2's {@code checkpoint_convert.py} for RNN cells ({@code weights} to {@code kernel},
   * {@code biases} to {@code bias}, first match wins). Unlike the script, a match must cover whole path segments,
   * and partitioned parts ({@code .../weights/part_0}) are renamed like their variable; the script's sharded-name
   * check has its arguments swapped and never fires.
   */
  public NamePlan rnnTf12() {
    List<Pattern> patterns = new ArrayList<>();
    for (String[] pair : RNN_TF12) {
      patterns.add(Pattern.compile("(^|/)" + Pattern.quote(pair[0]) + "(?=/|$)"));
    }
    renames.add(name -> {
      for (int i = 0; i < patterns.size(); i++) {
        var m = patterns.get(i).matcher(name);
        if (m.find()) {
          return name.substring(0, m.start()) + m.group(1) + RNN_TF12[i][1] + name.substring(m.end());
        }
      }
      return name;
    });
    return this;
  }

  public boolean isIdentity() {
    return includes.isEmpty() && excludes.isEmpty() && renames.isEmpty() && !ema;
  }

  /**
   * A glob ({@code *} within a path segment, {@code **} across, {@code ?}) matching a tensor or anything below it
   * ({@code dense} matches {@code dense/kernel}), or with the prefix {@code re:} a regex found anywhere in the name.
   */
  static Predicate<String> matcher(String spec) {
    if (spec.startsWith("re:")) {
      Pattern p = Pattern.compile(spec.substring(3));
      return name -> p.matcher(name).find();
    }
    StringBuilder re = new StringBuilder();
    for (int i = 0; i < spec.length(); i++) {
      char c = spec.charAt(i);
      if (c == '*') {
        if (i + 1 < spec.length() && spec.charAt(i + 1) == '*') {
          re.append(".*");
          i++;
        } else {
          re.append("[^/]*");
        }
      } else if (c == '?') {
        re.append("[^/]");
      } else {
        re.append(Pattern.quote(String.valueOf(c)));
      }
    }
    Pattern p = Pattern.compile(re + "(/.*)?");
    return name -> p.matcher(name).matches();
  }

  /** Applies the plan; fails when two tensors would end up with the same name. */
  public List<Entry> apply(List<TensorInfo> tensors) {
    Map<String, TensorInfo> byName = new LinkedHashMap<>();
    tensors.forEach(t -> byName.put(t.name(), t));
    Map<String, Entry> out = new LinkedHashMap<>();
    for (TensorInfo t : tensors) {
      String name = t.name();
      if (!includes.isEmpty() && includes.stream().noneMatch(p -> p.test(name))) {
        continue;
      }
      if (excludes.stream().anyMatch(p -> p.test(name))) {
        continue;
      }
      TensorInfo source = t;
      if (ema) {
        if (name.endsWith(EMA_SUFFIX)) {
          continue; // a shadow is written in place of its variable, never under its own name
        }
        TensorInfo shadow = byName.get(name + EMA_SUFFIX);
        if (shadow != null) {
          if (shadow.dtype() != t.dtype() || !shadow.shape().equals(t.shape())) {
            throw new WrongInputException("--ema: " + shadow.name() + " is " + shadow.dtype() + shadow.shape() + " but "
                + name + " is " + t.dtype() + t.shape());
          }
          source = shadow;
        }
      }
      String renamed = newName(name);
      if (renamed.isEmpty()) {
        throw new WrongInputException("Renaming turns '" + name + "' into an empty name");
      }
      Entry previous = out.put(renamed, new Entry(source, renamed));
      if (previous != null) {
        throw new WrongInputException("Renaming makes two tensors collide: '" + previous.source().name() + "' and '"
            + source.name() + "' would both be written as '" + renamed + "'");
      }
    }
    return new ArrayList<>(out.values());
  }

  String newName(String name) {
    String n = name;
    for (UnaryOperator<String> r : renames) {
      n = r.apply(n);
    }
    return n;
  }
}

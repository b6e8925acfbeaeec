package io.tfgw.runtime.kernels;

import io.tfgw.runtime.KernelException;
import io.tfgw.runtime.OpContext;
import io.tfgw.runtime.Tensor;
import io.tfgw.core.tensor.Shape;
import java.util.ArrayList;
import java.util.List;

/** StridedSlice with TF's mask semantics ({@code strided_slice_op.cc}: sparse spec to dense spec, then clamp). */
final class StridedSlice {
  private static final int NEW_AXIS = -1;
  private static final int SHRINK_AXIS = -2;

  private StridedSlice() {}

  static Tensor apply(OpContext ctx, Tensor x, long[] begin, long[] end, long[] strides) {
    int n = begin.length;
    if (end.length != n || strides.length != n) {
      throw new KernelException("Expected begin, end, and strides to be 1D equal size tensors");
    }
    int beginMask = (int) ctx.attrInt("begin_mask", 0);
    int endMask = (int) ctx.attrInt("end_mask", 0);
    int ellipsisMask = (int) ctx.attrInt("ellipsis_mask", 0);
    int newAxisMask = (int) ctx.attrInt("new_axis_mask", 0);
    int shrinkMask = (int) ctx.attrInt("shrink_axis_mask", 0);
    if (Integer.bitCount(ellipsisMask) > 1) {
      throw new KernelException("Multiple ellipses in slice spec not allowed");
    }
    // sparse spec; an implicit ellipsis at the end when there is none
    int sparseDims = n;
    long[] sb = begin;
    long[] se = end;
    long[] ss = strides;
    if (ellipsisMask == 0) {
      ellipsisMask = 1 << n;
      sparseDims = n + 1;
      sb = java.util.Arrays.copyOf(begin, n + 1);
      se = java.util.Arrays.copyOf(end, n + 1);
      ss = java.util.Arrays.copyOf(strides, n + 1);
      ss[n] = 1;
    }
    int rank = x.rank();
    long[] db = new long[rank];
    long[] de = new long[rank];
    long[] ds = new long[rank];
    int dBeginMask = 0;
    int dEndMask = 0;
    int dShrinkMask = 0;
    List<Integer> finalGather = new ArrayList<>();
    int full = 0;
    for (int i = 0; i < sparseDims; i++) {
      if ((ellipsisMask & (1 << i)) != 0) {
        int newAxesAfter = 0;
        for (int j = i + 1; j < sparseDims; j++) {
          if ((newAxisMask & (1 << j)) != 0) {
            newAxesAfter++;
          }
        }
        int next = Math.min(rank - (sparseDims - i) + 1 + newAxesAfter, rank);
        for (; full < next; full++) {
          db[full] = 0;
          de[full] = 0;
          ds[full] = 1;
          dBeginMask |= 1 << full;
          dEndMask |= 1 << full;
          finalGather.add(full);
        }
      } else if ((newAxisMask & (1 << i)) != 0) {
        finalGather.add(NEW_AXIS);
      } else {
        if (full >= rank) {
          throw new KernelException("Index out of range using input dim " + full + "; input has only " + rank
              + " dims");
        }
        db[full] = sb[i];
        de[full] = se[i];
        ds[full] = ss[i];
        if ((beginMask & (1 << i)) != 0) {
          dBeginMask |= 1 << full;
        }
        if ((endMask & (1 << i)) != 0) {
          dEndMask |= 1 << full;
        }
        if ((shrinkMask & (1 << i)) != 0) {
          dShrinkMask |= 1 << full;
          finalGather.add(SHRINK_AXIS);
        } else {
          finalGather.add(full);
        }
        full++;
      }
    }
    int[] inStrides = Strided.strides(x.dims());
    int offset = 0;
    int[] outStrides = new int[rank];
    long[] processing = new long[rank];
    for (int i = 0; i < rank; i++) {
      long dim = x.dim(i);
      long stride = ds[i];
      if (stride == 0) {
        throw new KernelException("strides[" + i + "] must be non-zero");
      }
      boolean shrink = (dShrinkMask & (1 << i)) != 0;
      long b;
      long e;
      if (shrink) {
        long fwd = db[i] < 0 ? dim + db[i] : db[i];
        if (fwd < 0 || fwd >= dim) {
          throw new KernelException("slice index " + db[i] + " of dimension " + i + " out of bounds.");
        }
        b = fwd;
        e = fwd + 1;
        stride = 1;
      } else {
        b = canonical(db[i], (dBeginMask & (1 << i)) != 0, 0, stride, dim);
        e = canonical(de[i], (dEndMask & (1 << i)) != 0, 1, stride, dim);
      }
      long size;
      if ((stride > 0 && b >= e) || (stride < 0 && b <= e)) {
        size = 0;
      } else {
        size = (e - b + stride + (stride > 0 ? -1 : 1)) / stride;
      }
      processing[i] = size;
      if (size > 0) {
        offset += (int) b * inStrides[i];
      }
      outStrides[i] = (int) stride * inStrides[i];
    }
    List<Long> finalShape = new ArrayList<>();
    for (int g : finalGather) {
      if (g >= 0) {
        finalShape.add(processing[g]);
      } else if (g == NEW_AXIS) {
        finalShape.add(1L);
      }
    }
    return ArrayKernels.strided(x, offset, outStrides, processing).reshape(Shape.of(finalShape));
  }

  private static long canonical(long x, boolean masked, int c, long stride, long dim) {
    if (masked) {
      return stride > 0 ? (c == 0 ? 0 : dim) : (c == 0 ? dim - 1 : -1);
    }
    long fwd = x < 0 ? dim + x : x;
    long lo = stride > 0 ? 0 : -1;
    long hi = stride > 0 ? dim : dim - 1;
    return Math.max(lo, Math.min(hi, fwd));
  }
}

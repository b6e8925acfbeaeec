package io.tfgw.converters.resolve;

/** What a single file is, judged by its content (and, only where content cannot tell, its name). */
public enum FileKind {
  /** {@code .index} of a V2 bundle: a table whose first entry is a BundleHeaderProto. */
  V2_INDEX,
  /** A data shard of a V2 bundle ({@code .data-NNNNN-of-NNNNN}): raw tensor bytes, no header. */
  V2_DATA,
  /** A V1 checkpoint: one table of SavedTensorSlices. */
  V1_TABLE,
  /** A table file that is neither of the above. */
  OTHER_TABLE,
  /** The {@code checkpoint} state file (text CheckpointState). */
  CHECKPOINT_STATE,
  /** A binary protobuf: SavedModel, MetaGraphDef or GraphDef. */
  PROTOBUF,
  /** HDF5 (Keras {@code .h5}). */
  HDF5,
  /** An ONNX ModelProto (recognised by its top-level fields: ir_version, graph, ...). */
  ONNX,
  /** safetensors. */
  SAFETENSORS,
  /** A zip archive (a Keras {@code .keras} file is one). */
  ZIP,
  /** A Git LFS pointer: the text stub a repository holds instead of a large file that was never fetched. */
  GIT_LFS_POINTER,
  /** A file of 0 bytes. */
  EMPTY,
  /** A JSON document (a Keras {@code model.to_json()} / {@code config.json} is one). */
  JSON,
  UNKNOWN
}

"""OTLP traces and logs: protobuf and JSON decoders, and the rows they share."""

// Adapts the generated-code body decoder (assembly/codec) to the framer's Stepper contract.
import { Stepper } from "./stepper";
import { BodyDecoder } from "../codec/decoder";
import { DecodeSink } from "../codec/sink";

export class BodyStepper extends Stepper {
  private decoder: BodyDecoder = new BodyDecoder();

  /** Starts a body; false when the API key/version is unknown to the codec. */
  begin(apiKey: i16, apiVersion: i16, isResponse: bool, bodyLength: i32, sink: DecodeSink): bool {
    this.resetState(bodyLength);
    return this.decoder.begin(apiKey, apiVersion, isResponse, bodyLength, sink);
  }

  step(ptr: usize, length: i32): i32 {
    const d = this.decoder;
    const consumed = d.step(ptr, length);
    this.position = d.position();
    this.needBytes = d.needBytes();
    this.skipPending = d.skipPending();
    this.done = d.isDone();
    if (d.isFailed() && !this.failed) {
      this.failed = true;
      this.errorField = d.errorField();
      this.errorReason = d.errorReason();
      this.errorOffset = d.errorOffset();
    }
    return consumed;
  }
}

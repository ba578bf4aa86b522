/**
 * The calibration rows C1-C16 of the team's reference notes (ane-latency-calibration.md), as
 * cases for the cost-model fit: each row's network is built from the model zoo of
 * @fastvlm/models in fp16 (the rows are fp16 ML programs), run through the `cleanup` preset (the
 * constant folding and canonicalization a converter does; the analysis itself models the fusions
 * Core ML makes), and planned. Only these rows are fitted by `npm run calibrate`.
 * @module
 */
import { WeightStore, graph, type Program } from '@fastvlm/graph';
import { type CalibrationCase, PassManager, planProgram } from '@fastvlm/ane-passes';
import { buildZooModel } from '@fastvlm/models';

/** A calibration row as the notes give it. */
export interface CalibrationRowSpec {
  readonly id: string;
  /** A zoo model name, or `lm-head` for C16's LM head alone. */
  readonly model: string;
  readonly label: string;
  /** Device profile id. */
  readonly device: string;
  readonly ms: number;
  /** What the figure is (Average All, Low, median...) and where it comes from. */
  readonly source: string;
}

/** C1-C16 (C16 is two rows, M1 and M4 Max). The zoo models run at their default inputs, which are the rows' inputs. */
export const CALIBRATION_ROWS: readonly CalibrationRowSpec[] = [
  { id: 'C1', model: 'fastvit-t8', label: 'FastViT-T8 256', device: 'a14', ms: 0.815, source: 'apple/ml-fastvit README, ModelBench Average All' },
  { id: 'C2', model: 'fastvit-t12', label: 'FastViT-T12 256', device: 'a14', ms: 1.204, source: 'apple/ml-fastvit README, ModelBench Average All' },
  { id: 'C3', model: 'fastvit-s12', label: 'FastViT-S12 256', device: 'a14', ms: 1.39, source: 'apple/ml-fastvit README, ModelBench Average All' },
  { id: 'C4', model: 'fastvit-sa24', label: 'FastViT-SA24 256', device: 'a14', ms: 2.547, source: 'apple/ml-fastvit README, ModelBench Average All' },
  { id: 'C5', model: 'mobileone-s0', label: 'MobileOne-S0 224', device: 'a14', ms: 0.79, source: 'apple/ml-mobileone README (ModelBench Low)' },
  { id: 'C6', model: 'mobileone-s2', label: 'MobileOne-S2 224', device: 'a14', ms: 1.18, source: 'apple/ml-mobileone README (ModelBench Low)' },
  { id: 'C7', model: 'mobileone-s3', label: 'MobileOne-S3 224', device: 'a14', ms: 1.53, source: 'apple/ml-mobileone README (ModelBench Low)' },
  { id: 'C8', model: 'mci0', label: 'MobileCLIP-S0 image (MCi0) 256', device: 'a14', ms: 1.5, source: 'apple/ml-mobileclip README' },
  { id: 'C9', model: 'mci1', label: 'MobileCLIP-S1 image (MCi1) 256', device: 'a14', ms: 2.5, source: 'apple/ml-mobileclip README' },
  { id: 'C10', model: 'mobileclip-text-512', label: 'MobileCLIP text d512, 77 tokens', device: 'a14', ms: 3.3, source: 'apple/ml-mobileclip README' },
  { id: 'C11', model: 'fastvit-t8', label: 'FastViT-T8 256', device: 'm3max', ms: 0.62, source: 'Hugging Face apple/coreml-FastViT-T8 card' },
  { id: 'C12', model: 'resnet50', label: 'ResNet50 224', device: 'a16', ms: 1.52, source: 'coremltools docs opt-quantization-perf' },
  { id: 'C13', model: 'mobilenetv3-small', label: 'MobileNetV3-small 224', device: 'a16', ms: 0.13, source: 'coremltools docs opt-quantization-perf' },
  { id: 'C14', model: 'resnet50', label: 'ResNet50 224', device: 'a17pro', ms: 1.38, source: 'coremltools docs opt-quantization-perf' },
  { id: 'C15', model: 'opt-1.3b', label: 'OPT-1.3B next token, 64 context', device: 'a17pro', ms: 92.15, source: 'coremltools docs (LLM compression), iOS 18' },
  { id: 'C16', model: 'lm-head', label: 'LM head 4096 -> vocab (0.46 GB)', device: 'm1', ms: 7.52, source: 'Anemll/anemll-bench results' },
  { id: 'C16', model: 'lm-head', label: 'LM head 4096 -> vocab (0.46 GB)', device: 'm4max', ms: 3.87, source: 'Anemll/anemll-bench results' },
];

/** Hidden size of C16's LM head. */
const LM_HEAD_HIDDEN = 4096;
/**
 * Its output rows: the notes give "about 0.46 GB of fp16 weights", so 0.46e9 / (2 bytes x 4096),
 * rounded to a multiple of 64 (derived; the notes do not name the vocabulary).
 */
export const LM_HEAD_ROWS = Math.round(0.46e9 / (2 * LM_HEAD_HIDDEN) / 64) * 64;

/** C16's network: one fp16 linear 4096 -> {@link LM_HEAD_ROWS} on one token. */
export function lmHeadProgram(): Program {
  const g = graph({ weights: new WeightStore(), missingWeights: 'synthesize', locations: false });
  const f = g.function('main');
  const x = f.input('hidden', 'fp16', [1, 1, LM_HEAD_HIDDEN]);
  const w = f.param('lm_head.weight', 'fp16', [LM_HEAD_ROWS, LM_HEAD_HIDDEN], { init: { kind: 'normal', std: 0.02 } });
  f.output({ logits: f.linear(x, w) });
  return g.build();
}

/** The program a row measured, as the cost model sees it: fp16, after the `cleanup` preset. */
export function rowProgram(row: Pick<CalibrationRowSpec, 'model'>): Program {
  const built = row.model === 'lm-head' ? lmHeadProgram() : buildZooModel(row.model, { dtype: 'fp16' }).program;
  return PassManager.preset('cleanup').run(built).program;
}

/** Every row as a calibration case (networks shared by two rows are built once). */
export function calibrationCases(rows: readonly CalibrationRowSpec[] = CALIBRATION_ROWS): CalibrationCase[] {
  const plans = new Map<string, ReturnType<typeof planProgram>>();
  return rows.map((r) => {
    let p = plans.get(r.model);
    if (!p) {
      p = planProgram(rowProgram(r));
      plans.set(r.model, p);
    }
    return { id: r.id, label: r.label, device: r.device, measuredMs: r.ms, plans: p };
  });
}

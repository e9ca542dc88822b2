using System.Collections.Generic;

namespace ModelCompiler.Tests.NodeTests;

/// <summary>
/// Node tests whose ops ModelCompiler supports but which are deliberately not run, each with the reason.
/// They are reported as skipped, never as passed. An excluded case that starts passing fails, so this list
/// only ever shrinks.
/// </summary>
public static class Exclusions
{
    // Element-wise ops (Cast, CastLike, Equal, Not): cases that need a tensor type generated code cannot hold.
    private const string Bf16 = "bfloat16 tensors: generated code has no bfloat16 element type (System.Half is float16), and the harness cannot read bfloat16 test data";
    private const string Float8 = "float8 tensors (e4m3fn, e4m3fnuz, e5m2, e5m2fnuz, e8m0): generated code has no 8-bit float element type";
    private const string Float4 = "float4e2m1 tensors: generated code has no 4-bit float element type";
    private const string Int2 = "int2/uint2 tensors (ONNX data types 25/26, opset 25) are unknown to ModelCompiler's ONNX reader, and generated code has no 2-bit type";
    private const string StringTensors = "string tensors: generated code holds numeric and bool tensors only";
    private const string Opset1 = "the model imports ai.onnx opset 1; ModelCompiler supports opset 6 and later (SupportCheck.MinimumOpset), though Not itself is unchanged since opset 1";

    // Quantization (QuantizeLinear/DequantizeLinear): what the QOperator work leaves to the QDQ/int4 work.
    private const string QuantFloat8 = "float8/float4 QuantizeLinear/DequantizeLinear: generated code has no 8-bit or 4-bit float element type (as for Cast)";

    private const string RoiAlignDecimals = "the expected output is written out to 4 decimals in the ONNX test (e.g. 0.3172; computed 0.317132), " +
        "which meets ONNX's rtol 1e-3 but not this harness's 1e-4; RoiAlign matches ONNX Runtime within 1e-4 in both coordinate modes (VisionOpsOrtTests)";

    private const string Float16Compute = "float16 activations into Conv/MatMul/attention: the managed backend computes these in float32 only (float16 weights are widened at build time; float16 activation tensors are not)";

    public static readonly IReadOnlyDictionary<string, string> Reasons = new Dictionary<string, string>
    {
        // float16 compute.
        ["test_causal_conv_with_state_fp16_expanded"] = Float16Compute,
        ["test_causal_conv_with_state_silu_fp16_expanded"] = Float16Compute,
        ["test_attention_4d_fp16_expanded"] = Float16Compute,
        ["test_attention_24_qk_matmul_output_mode3_softmax_precision_expanded"] = Float16Compute,
        ["test_attention_4d_gqa_causal_nonpad_decode_fp16_expanded"] = Float16Compute,
        ["test_attention_4d_gqa_with_past_and_present_fp16_expanded"] = Float16Compute,
        ["test_flexattention_fp16_expanded_ver26"] = Float16Compute,
        ["test_flexattention_double_expanded_ver26"] = "float64 MatMul: the managed backend's MatMul, Gemm and Conv are float32 only",

        // Layout / shape ops.
        ["test_range_bfloat16_type_positive_delta"] = "bfloat16 tensors: generated code has no bfloat16 element type, and the harness cannot read bfloat16 test data",
        ["test_training_dropout"] = "Dropout in training mode with ratio > 0 drops random elements; ModelCompiler compiles inference graphs (rejected with MC0008)",
        ["test_training_dropout_default"] = "Dropout in training mode with ratio > 0 drops random elements; ModelCompiler compiles inference graphs (rejected with MC0008)",
        ["test_training_dropout_default_mask"] = "Dropout in training mode with ratio > 0 drops random elements; ModelCompiler compiles inference graphs (rejected with MC0008)",
        ["test_training_dropout_mask"] = "Dropout in training mode with ratio > 0 drops random elements; ModelCompiler compiles inference graphs (rejected with MC0008)",

        // Element-wise ops.
        ["test_cast_BFLOAT16_to_FLOAT"] = Bf16,
        ["test_celu_bfloat16"] = Bf16,
        ["test_celu_bfloat16_expanded"] = Bf16,
        ["test_cast_FLOAT16_to_FLOAT4E2M1"] = Float4,
        ["test_cast_FLOAT16_to_FLOAT8E4M3FN"] = Float8,
        ["test_cast_FLOAT16_to_FLOAT8E4M3FNUZ"] = Float8,
        ["test_cast_FLOAT16_to_FLOAT8E5M2"] = Float8,
        ["test_cast_FLOAT16_to_FLOAT8E5M2FNUZ"] = Float8,
        ["test_cast_FLOAT16_to_INT2"] = Int2,
        ["test_cast_FLOAT16_to_UINT2"] = Int2,
        ["test_cast_FLOAT4E2M1_to_FLOAT"] = Float4,
        ["test_cast_FLOAT4E2M1_to_FLOAT16"] = Float4,
        ["test_cast_FLOAT8E4M3FNUZ_to_FLOAT"] = Float8,
        ["test_cast_FLOAT8E4M3FNUZ_to_FLOAT16"] = Float8,
        ["test_cast_FLOAT8E4M3FN_to_FLOAT"] = Float8,
        ["test_cast_FLOAT8E4M3FN_to_FLOAT16"] = Float8,
        ["test_cast_FLOAT8E5M2FNUZ_to_FLOAT"] = Float8,
        ["test_cast_FLOAT8E5M2FNUZ_to_FLOAT16"] = Float8,
        ["test_cast_FLOAT8E5M2_to_FLOAT"] = Float8,
        ["test_cast_FLOAT8E5M2_to_FLOAT16"] = Float8,
        ["test_cast_FLOAT_to_BFLOAT16"] = Bf16,
        ["test_cast_FLOAT_to_FLOAT4E2M1"] = Float4,
        ["test_cast_FLOAT_to_FLOAT8E4M3FN"] = Float8,
        ["test_cast_FLOAT_to_FLOAT8E4M3FNUZ"] = Float8,
        ["test_cast_FLOAT_to_FLOAT8E5M2"] = Float8,
        ["test_cast_FLOAT_to_FLOAT8E5M2FNUZ"] = Float8,
        ["test_cast_FLOAT_to_INT2"] = Int2,
        ["test_cast_FLOAT_to_UINT2"] = Int2,
        ["test_cast_INT2_to_FLOAT"] = Int2,
        ["test_cast_INT2_to_FLOAT16"] = Int2,
        ["test_cast_INT2_to_INT8"] = Int2,
        ["test_cast_UINT2_to_FLOAT"] = Int2,
        ["test_cast_UINT2_to_FLOAT16"] = Int2,
        ["test_cast_UINT2_to_UINT8"] = Int2,
        ["test_cast_e8m0_FLOAT16_to_FLOAT8E8M0"] = Float8,
        ["test_cast_e8m0_FLOAT8E8M0_to_FLOAT"] = Float8,
        ["test_cast_e8m0_FLOAT8E8M0_to_FLOAT16"] = Float8,
        ["test_cast_e8m0_FLOAT_to_FLOAT8E8M0"] = Float8,
        ["test_cast_no_saturate_FLOAT16_to_FLOAT8E4M3FN"] = Float8,
        ["test_cast_no_saturate_FLOAT16_to_FLOAT8E4M3FNUZ"] = Float8,
        ["test_cast_no_saturate_FLOAT16_to_FLOAT8E5M2"] = Float8,
        ["test_cast_no_saturate_FLOAT16_to_FLOAT8E5M2FNUZ"] = Float8,
        ["test_cast_no_saturate_FLOAT_to_FLOAT8E4M3FN"] = Float8,
        ["test_cast_no_saturate_FLOAT_to_FLOAT8E4M3FNUZ"] = Float8,
        ["test_cast_no_saturate_FLOAT_to_FLOAT8E5M2"] = Float8,
        ["test_cast_no_saturate_FLOAT_to_FLOAT8E5M2FNUZ"] = Float8,
        ["test_castlike_BFLOAT16_to_FLOAT"] = Bf16,
        ["test_castlike_BFLOAT16_to_FLOAT_expanded"] = Bf16,
        ["test_castlike_FLOAT16_to_FLOAT4E2M1"] = Float4,
        ["test_castlike_FLOAT16_to_FLOAT4E2M1_expanded"] = Float4,
        ["test_castlike_FLOAT16_to_FLOAT8E4M3FN"] = Float8,
        ["test_castlike_FLOAT16_to_FLOAT8E4M3FNUZ"] = Float8,
        ["test_castlike_FLOAT16_to_FLOAT8E4M3FNUZ_expanded"] = Float8,
        ["test_castlike_FLOAT16_to_FLOAT8E4M3FN_expanded"] = Float8,
        ["test_castlike_FLOAT16_to_FLOAT8E5M2"] = Float8,
        ["test_castlike_FLOAT16_to_FLOAT8E5M2FNUZ"] = Float8,
        ["test_castlike_FLOAT16_to_FLOAT8E5M2FNUZ_expanded"] = Float8,
        ["test_castlike_FLOAT16_to_FLOAT8E5M2_expanded"] = Float8,
        ["test_castlike_FLOAT16_to_INT2"] = Int2,
        ["test_castlike_FLOAT16_to_INT2_expanded"] = Int2,
        ["test_castlike_FLOAT16_to_UINT2"] = Int2,
        ["test_castlike_FLOAT16_to_UINT2_expanded"] = Int2,
        ["test_castlike_FLOAT4E2M1_to_FLOAT"] = Float4,
        ["test_castlike_FLOAT4E2M1_to_FLOAT16"] = Float4,
        ["test_castlike_FLOAT4E2M1_to_FLOAT16_expanded"] = Float4,
        ["test_castlike_FLOAT4E2M1_to_FLOAT_expanded"] = Float4,
        ["test_castlike_FLOAT8E4M3FNUZ_to_FLOAT"] = Float8,
        ["test_castlike_FLOAT8E4M3FNUZ_to_FLOAT16"] = Float8,
        ["test_castlike_FLOAT8E4M3FNUZ_to_FLOAT16_expanded"] = Float8,
        ["test_castlike_FLOAT8E4M3FNUZ_to_FLOAT_expanded"] = Float8,
        ["test_castlike_FLOAT8E4M3FN_to_FLOAT"] = Float8,
        ["test_castlike_FLOAT8E4M3FN_to_FLOAT16"] = Float8,
        ["test_castlike_FLOAT8E4M3FN_to_FLOAT16_expanded"] = Float8,
        ["test_castlike_FLOAT8E4M3FN_to_FLOAT_expanded"] = Float8,
        ["test_castlike_FLOAT8E5M2FNUZ_to_FLOAT"] = Float8,
        ["test_castlike_FLOAT8E5M2FNUZ_to_FLOAT16"] = Float8,
        ["test_castlike_FLOAT8E5M2FNUZ_to_FLOAT16_expanded"] = Float8,
        ["test_castlike_FLOAT8E5M2FNUZ_to_FLOAT_expanded"] = Float8,
        ["test_castlike_FLOAT8E5M2_to_FLOAT"] = Float8,
        ["test_castlike_FLOAT8E5M2_to_FLOAT16"] = Float8,
        ["test_castlike_FLOAT8E5M2_to_FLOAT16_expanded"] = Float8,
        ["test_castlike_FLOAT8E5M2_to_FLOAT_expanded"] = Float8,
        ["test_castlike_FLOAT_to_BFLOAT16"] = Bf16,
        ["test_castlike_FLOAT_to_BFLOAT16_expanded"] = Bf16,
        ["test_castlike_FLOAT_to_FLOAT4E2M1"] = Float4,
        ["test_castlike_FLOAT_to_FLOAT4E2M1_expanded"] = Float4,
        ["test_castlike_FLOAT_to_FLOAT8E4M3FN"] = Float8,
        ["test_castlike_FLOAT_to_FLOAT8E4M3FNUZ"] = Float8,
        ["test_castlike_FLOAT_to_FLOAT8E4M3FNUZ_expanded"] = Float8,
        ["test_castlike_FLOAT_to_FLOAT8E4M3FN_expanded"] = Float8,
        ["test_castlike_FLOAT_to_FLOAT8E5M2"] = Float8,
        ["test_castlike_FLOAT_to_FLOAT8E5M2FNUZ"] = Float8,
        ["test_castlike_FLOAT_to_FLOAT8E5M2FNUZ_expanded"] = Float8,
        ["test_castlike_FLOAT_to_FLOAT8E5M2_expanded"] = Float8,
        ["test_castlike_FLOAT_to_INT2"] = Int2,
        ["test_castlike_FLOAT_to_INT2_expanded"] = Int2,
        ["test_castlike_FLOAT_to_UINT2"] = Int2,
        ["test_castlike_FLOAT_to_UINT2_expanded"] = Int2,
        ["test_castlike_INT2_to_FLOAT"] = Int2,
        ["test_castlike_INT2_to_FLOAT16"] = Int2,
        ["test_castlike_INT2_to_FLOAT16_expanded"] = Int2,
        ["test_castlike_INT2_to_FLOAT_expanded"] = Int2,
        ["test_castlike_INT2_to_INT8"] = Int2,
        ["test_castlike_INT2_to_INT8_expanded"] = Int2,
        ["test_castlike_UINT2_to_FLOAT"] = Int2,
        ["test_castlike_UINT2_to_FLOAT16"] = Int2,
        ["test_castlike_UINT2_to_FLOAT16_expanded"] = Int2,
        ["test_castlike_UINT2_to_FLOAT_expanded"] = Int2,
        ["test_castlike_UINT2_to_UINT8"] = Int2,
        ["test_castlike_UINT2_to_UINT8_expanded"] = Int2,
        ["test_castlike_no_saturate_FLOAT16_to_FLOAT8E4M3FN"] = Float8,
        ["test_castlike_no_saturate_FLOAT16_to_FLOAT8E4M3FNUZ"] = Float8,
        ["test_castlike_no_saturate_FLOAT16_to_FLOAT8E4M3FNUZ_expanded"] = Float8,
        ["test_castlike_no_saturate_FLOAT16_to_FLOAT8E4M3FN_expanded"] = Float8,
        ["test_castlike_no_saturate_FLOAT16_to_FLOAT8E5M2"] = Float8,
        ["test_castlike_no_saturate_FLOAT16_to_FLOAT8E5M2FNUZ"] = Float8,
        ["test_castlike_no_saturate_FLOAT16_to_FLOAT8E5M2FNUZ_expanded"] = Float8,
        ["test_castlike_no_saturate_FLOAT16_to_FLOAT8E5M2_expanded"] = Float8,
        ["test_castlike_no_saturate_FLOAT_to_FLOAT8E4M3FN"] = Float8,
        ["test_castlike_no_saturate_FLOAT_to_FLOAT8E4M3FNUZ"] = Float8,
        ["test_castlike_no_saturate_FLOAT_to_FLOAT8E4M3FNUZ_expanded"] = Float8,
        ["test_castlike_no_saturate_FLOAT_to_FLOAT8E4M3FN_expanded"] = Float8,
        ["test_castlike_no_saturate_FLOAT_to_FLOAT8E5M2"] = Float8,
        ["test_castlike_no_saturate_FLOAT_to_FLOAT8E5M2FNUZ"] = Float8,
        ["test_castlike_no_saturate_FLOAT_to_FLOAT8E5M2FNUZ_expanded"] = Float8,
        ["test_castlike_no_saturate_FLOAT_to_FLOAT8E5M2_expanded"] = Float8,
        ["test_equal_string"] = StringTensors,
        ["test_equal_string_broadcast"] = StringTensors,
        ["test_not_2d"] = Opset1,
        ["test_not_3d"] = Opset1,
        ["test_not_4d"] = Opset1,

        // Quantization.
        ["test_dequantizelinear_int2"] = Int2,
        ["test_dequantizelinear_uint2"] = Int2,
        ["test_quantizelinear_int2"] = Int2,
        ["test_quantizelinear_uint2"] = Int2,
        ["test_dequantizelinear_e4m3fn"] = QuantFloat8,
        ["test_dequantizelinear_e4m3fn_float16"] = QuantFloat8,
        ["test_dequantizelinear_e4m3fn_zero_point"] = QuantFloat8,
        ["test_dequantizelinear_e5m2"] = QuantFloat8,
        ["test_dequantizelinear_float4e2m1"] = QuantFloat8,
        ["test_quantizelinear_e4m3fn"] = QuantFloat8,
        ["test_quantizelinear_e5m2"] = QuantFloat8,
        ["test_quantizelinear_float4e2m1"] = QuantFloat8,

        // NN ops.
        ["test_averagepool_2d_ceil_last_window_starts_on_pad"] =
            "the expected output is written out to 4 decimals in the ONNX test (0.1511, 0.2841, 0.3572; exact: 0.151056, 0.284044, 0.357222), " +
            "which meets ONNX's rtol 1e-3 but not this harness's 1e-4; the computed values are the exact averages",

        // Index, detection and audio ops (issue 16). These expected outputs are printed to 4 decimals in the ONNX
        // tests; the same cases at full precision match ONNX Runtime within 1e-4 (VisionOpsOrtTests).
        ["test_roialign_aligned_false"] = RoiAlignDecimals,
        ["test_roialign_aligned_true"] = RoiAlignDecimals,
        ["test_gridsample_bicubic"] =
            "the expected output is written out to 4 decimals in the ONNX test (-0.1406; computed -0.140625), which meets ONNX's rtol 1e-3 but not " +
            "this harness's 1e-4; bicubic sampling matches ONNX Runtime within 1e-4 in every padding mode (VisionOpsOrtTests)",
    };
}

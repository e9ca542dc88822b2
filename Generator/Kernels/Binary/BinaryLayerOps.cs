using System.Linq;
using ModelCompiler.Emit;
using ModelCompiler.Graph;
using ModelCompiler.Ops;
using ModelCompiler.Ops.Qdq;

namespace ModelCompiler.Kernels.Binary;

/// <summary>
/// ModelCompiler's own binary layers (domain <c>ai.modelcompiler</c>), made by <see cref="Passes.BinaryLayerFusion"/>
/// from a binarizer and the Conv/Gemm/MatMul with +-alpha weights it feeds; never read from models. Inputs:
/// 0 the float tensor before binarization, 1 the packed weight bits (uint64), 2 scale and 3 bias per output channel
/// (float), 4 optional thresholds per input channel (float), 5 optional output ranges per channel (int32, four each:
/// the next layer's binarization folded in). Attributes: <c>sign3</c> (ONNX Sign: 0 stays 0), <c>out_value</c>,
/// <c>channels</c> (N), <c>k</c> (bits per channel), <c>shape</c> (the output's shape), the source layer's op in
/// <c>source</c>, and for convolutions the resolved <c>kernel_shape</c>, <c>strides</c>, <c>dilations</c>, <c>pads</c>,
/// and where a MaxPool was folded into the input packing (<see cref="Passes.BinaryPoolFolding"/>; input 0 is then the
/// pool's input) <c>pool_kernel</c>, <c>pool_strides</c>, <c>pool_dilations</c>, <c>pool_pads</c> (top, left),
/// <c>pool_input</c>, <c>pool_output</c> (height, width) and <c>pool_name</c>.
/// </summary>
internal abstract class BinaryLayerOp : OpSchema
{
    public override string Domain => QLinearLookupOp.DomainName;

    public override void Infer(OpContext c)
    {
        c.RequireInputs(4);
        c.RequireType(0, t => t == DataType.Float, "float32");
        c.SetOutput(0, DataType.Float, c.Ints("shape")!.Select(d => (int)d).ToArray());
    }

    public override Kernel? CreateKernel(OpContext c) => new BinaryKernelProvider().TryCreate(c);
}

internal sealed class BinaryConvOp : BinaryLayerOp
{
    public override string OpType => "BinaryConv";
}

internal sealed class BinaryDenseOp : BinaryLayerOp
{
    public override string OpType => "BinaryDense";
}

namespace ModelCompiler.Graph;

/// <summary>
/// Linear quantization of a value: real = (q - ZeroPoint) * Scale, per tensor or per slice along
/// <see cref="Axis"/>, optionally in blocks of <see cref="BlockSize"/> elements (int4 weights, opset 21).
/// </summary>
internal sealed class QuantParams
{
    public QuantParams(Tensor scale, Tensor? zeroPoint, int? axis, int blockSize)
    {
        Scale = scale;
        ZeroPoint = zeroPoint;
        Axis = axis;
        BlockSize = blockSize;
    }

    public Tensor Scale { get; }
    public Tensor? ZeroPoint { get; }
    public int? Axis { get; }
    public int BlockSize { get; }
    public bool IsPerTensor => Scale.ElementCount == 1;
}

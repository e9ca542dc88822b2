using System.Collections.Generic;
using System.Linq;
using ModelCompiler.Contract;
using ModelCompiler.Emit;
using ModelCompiler.Graph;
using ModelCompiler.Ops;
using ModelCompiler.Ops.Quantization;
using ModelCompiler.Passes;

namespace ModelCompiler.Kernels.Quantized;

/// <summary>
/// QLinearConv and ConvInteger with constant weights and quantization parameters (the usual case, and every QDQ group
/// the fusion pass turns into one): weights shifted to int8 and packed, per-channel terms and multipliers computed
/// here, and the form (<see cref="QuantizedConvForm"/>) chosen from the layer's shape, so generated code calls that
/// form's entry point of <c>QuantizedConv</c> directly. Layers with run-time parameters keep the ops' own kernels,
/// which prepare the same data on every call.
/// </summary>
internal sealed class QuantizedConvKernelProvider : IKernelProvider
{
    public int Priority => 100;

    public Kernel? TryCreate(OpContext c)
    {
        var n = c.Node;
        if (n.Domain.Length != 0) return null;
        if (n.OpType == "QLinearConv")
        {
            if (!Quant.AllConstant(c, 1, 2, 3, 4, 5, 6, 7, 8)) return null;
            var s = QuantConv.Infer(c, 0, 3);
            return QuantConv.WhyNoKernel(s) is null ? QuantizedConvKernel.Requantized(c, s) : null;
        }
        if (n.OpType == "ConvInteger")
        {
            if (!Quant.AllConstant(c, 1, 2, 3)) return null;
            var s = QuantConv.Infer(c, 0, 1);
            return QuantConv.WhyNoKernel(s) is null ? QuantizedConvKernel.Integer(c, s) : null;
        }
        return null;
    }
}

/// <summary>One integer convolution layer in the form the provider chose; <see cref="Emit"/> writes that form's call.</summary>
internal sealed class QuantizedConvKernel : Kernel
{
    private readonly QuantizedConvForm _form;
    private readonly string _tx, _ty, _geometry;
    private readonly long _xz, _yz;
    private readonly Contract.ConvGeometry _g;
    private readonly Tensor _weights;
    private readonly Tensor? _zeroPoints, _terms, _multipliers;
    private readonly string _summary;
    private readonly long _macs;

    private QuantizedConvKernel(OpContext c, QuantConv.Shapes s, QuantizedConvForm form, QuantConv.Prepared p, long xz, long yz,
        float[]? multipliers, string summary, string weightName, IEnumerable<WeightUse> more) : base(c.Node)
    {
        _form = form;
        _g = Quant.Geometry(s.X, s.W, s.Y, s.Geometry, s.Group);
        _geometry = Quant.GeometryLiteral(_g);
        _tx = c.Type(0).CSharpName()!;
        _ty = c.Node.Output(0)!.Type.CSharpName()!;
        _xz = xz;
        _yz = yz;
        _weights = Quant.Int8Tensor(p.Weights);
        _zeroPoints = p.ZeroPoints is null ? null : Quant.Int32Tensor(p.ZeroPoints);
        _terms = p.Terms is null ? null : Quant.Int32Tensor(p.Terms);
        _multipliers = multipliers is null ? null : Quant.FloatTensor(multipliers);
        _summary = summary;
        _macs = s.Macs;
        Name = Method;
        Variant = form switch
        {
            QuantizedConvForm.Windowed => "windowed: a kernel row per int by byte permutes (AVX-VNNI + VBMI; GEMM elsewhere)",
            QuantizedConvForm.DepthwiseWindowed => "windowed: pixels in lanes, windows by byte permutes (AVX-VNNI + VBMI; direct elsewhere)",
            QuantizedConvForm.DepthwiseChannelsLast => "channels last, per-channel table built once (AVX-VNNI + AVX-512BW; windowed or direct elsewhere)",
            _ => null,
        };
        string layout = QuantizedConvForms.IsDepthwise(form) ? "shifted to int8 [M][kh*kw]" : "shifted to int8, rows padded to whole ints [M][K rounded up to 4]";
        Layouts = new[] { new WeightUse(weightName, layout) }.Concat(more).ToList();
    }

    /// <summary>QLinearConv: requantized to 8 bits with float32 multipliers (x_scale * w_scale) / y_scale.</summary>
    public static QuantizedConvKernel Requantized(OpContext c, QuantConv.Shapes s)
    {
        float xs = (float)c.Const(1)!.GetDouble(0), ys = (float)c.Const(6)!.GetDouble(0);
        long xz = c.Const(2)!.GetLong(0), yz = c.Const(7)!.GetLong(0);
        var multipliers = Quant.Floats(c.Const(4)!).Select(ws => Quant.Multiplier(xs, ws, ys)).ToArray();
        var p = QuantConv.Prepare(s, c.Const(3)!, c.Const(5), xz, c.Type(0) == DataType.Int8, c.Const(8));
        var form = QuantizedConvForms.Choose(Quant.Geometry(s.X, s.W, s.Y, s.Geometry, s.Group), requantized: true, symmetricWeights: p.ZeroPoints is null);
        string summary = $"{c.Type(0).OnnxName()} x {c.Type(3).OnnxName()} ({Quant.Granularity(c, 4)}) -> {c.Type(7).OnnxName()}, {s.Describe()}";
        var more = new List<WeightUse> { new(c.In(4).Name, "folded into float32 multipliers") };
        if (c.Has(8)) more.Add(new WeightUse(c.In(8).Name, QuantizedConvForms.IsDepthwise(form) ? "as int32" : "folded into per-channel int32 terms"));
        return new QuantizedConvKernel(c, s, form, p, xz, yz, multipliers, summary, c.In(3).Name, more);
    }

    /// <summary>ConvInteger: the int32 sums.</summary>
    public static QuantizedConvKernel Integer(OpContext c, QuantConv.Shapes s)
    {
        long xz = c.Const(2)?.GetLong(0) ?? 0;
        var p = QuantConv.Prepare(s, c.Const(1)!, c.Const(3), xz, c.Type(0) == DataType.Int8, bias: null);
        var form = QuantizedConvForms.Choose(Quant.Geometry(s.X, s.W, s.Y, s.Geometry, s.Group), requantized: false, symmetricWeights: p.ZeroPoints is null);
        string summary = $"{c.Type(0).OnnxName()} x {c.Type(1).OnnxName()} -> int32, {s.Describe()}";
        return new QuantizedConvKernel(c, s, form, p, xz, 0, null, summary, c.In(1).Name, Enumerable.Empty<WeightUse>());
    }

    public override string Summary => _summary;
    public override long Macs => _macs;

    /// <summary>The entry point of <c>QuantizedConv</c> for this form.</summary>
    private string Method => (_form, _multipliers is null) switch
    {
        (QuantizedConvForm.Gemm, true) => RuntimeApi.QuantizedConv.ConvInteger,
        (QuantizedConvForm.DepthwiseDirect, true) => RuntimeApi.QuantizedConv.DepthwiseInteger,
        (QuantizedConvForm.Gemm, false) => RuntimeApi.QuantizedConv.QLinearConv,
        (QuantizedConvForm.Windowed, false) => RuntimeApi.QuantizedConv.QLinearConvWindowed,
        (QuantizedConvForm.DepthwiseDirect, false) => RuntimeApi.QuantizedConv.QLinearDepthwise,
        (QuantizedConvForm.DepthwiseWindowed, false) => RuntimeApi.QuantizedConv.QLinearDepthwiseWindowed,
        _ => RuntimeApi.QuantizedConv.QLinearDepthwiseChannelsLast,
    };

    public override void Emit(LayerWriter w)
    {
        string call = Quant.Runtime + Method;
        string zps = _zeroPoints is null ? "default" : w.Weight(_zeroPoints);
        string terms = _terms is null ? "default" : w.Weight(_terms);
        string weights = w.Weight(_weights);
        if (_multipliers is null)
        {
            w.Line(_form == QuantizedConvForm.DepthwiseDirect
                ? $"{call}<{_tx}>({w.In(0)}, {_xz}, {weights}, {zps}, {w.Out(0)}, {_geometry});"
                : $"{call}<{_tx}>({w.In(0)}, {_xz}, {weights}, {zps}, {terms}, {w.Out(0)}, {_geometry});");
            return;
        }
        string mults = w.Weight(_multipliers);
        string args = _form switch
        {
            QuantizedConvForm.Gemm or QuantizedConvForm.DepthwiseDirect => $"{w.In(0)}, {_xz}, {weights}, {zps}, {terms}, {mults}, {_yz}, {w.Out(0)},",
            _ => $"{w.In(0)}, {_xz}, {weights}, {terms}, {mults}, {_yz}, {w.Out(0)},",
        };
        w.Line($"{call}<{_tx}, {_ty}>({args}");
        if (_form != QuantizedConvForm.DepthwiseChannelsLast)
        {
            w.Line($"    {_geometry});");
            return;
        }
        // The channels-last kernel's per-channel table, built once on first use rather than on every call; the
        // run time leaves it empty on a CPU without the kernel's instructions.
        string table = w.DerivedInts($"{Quant.Runtime}{RuntimeApi.QuantizedConv.DepthwiseChannelsLastTable}<{_tx}>({weights}, {terms}, {mults}, {_xz}, {_geometry})",
            $"channels-last depthwise table of {Node.Name}");
        w.Line($"    {_geometry}, {table});");
    }
}

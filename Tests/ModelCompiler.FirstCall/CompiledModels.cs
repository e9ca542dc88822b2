using System;

namespace ModelCompiler.FirstCall;

/// <summary>
/// The compiled side of a sample: what a one-shot console app does with a generated model (allocate the output,
/// call <c>Predict</c> once). One method per model, so that a child process touches only the model it runs.
/// </summary>
internal static class CompiledModels
{
    /// <summary>Runs <paramref name="model"/> (its generated class name) once; returns the sum of its output.</summary>
    public static double RunOnce(string model)
    {
        switch (model)
        {
#if FC_MLP_96_48
            case "Mlp9648": return Mlp9648();
#endif
#if FC_KD_STUDENT
            case "KdStudentCnn4x8": return KdStudentCnn4x8();
#endif
#if FC_TINY_RESNET3
            case "TinyResnet3": return TinyResnet3();
#endif
#if FC_TINY_DENSENET4
            case "TinyDensenet4": return TinyDensenet4();
#endif
#if FC_TINY_MOBILENET5
            case "TinyMobilenet5": return TinyMobilenet5();
#endif
#if FC_TINY_SQUEEZENET_B
            case "TinySqueezenetB": return TinySqueezenetB();
#endif
#if FC_TINY_SHUFFLENET3
            case "TinyShufflenet3": return TinyShufflenet3();
#endif
#if FC_TINY_BNN3_SIGN
            case "TinyBnn3Sign": return TinyBnn3Sign();
#endif
#if FC_MNIST
            case "MnistCnn": return MnistCnn();
#endif
#if FC_SQUEEZENET11
            case "SqueezeNet11": return SqueezeNet11();
#endif
#if FC_SHUFFLENETV2
            case "ShuffleNetV2": return ShuffleNetV2();
#endif
#if FC_MOBILENETV3
            case "MobileNetV3Small": return MobileNetV3Small();
#endif
#if FC_MOBILENETV2
            case "MobileNetV2": return MobileNetV2();
#endif
#if FC_DENSENET121
            case "DenseNet121": return DenseNet121();
#endif
#if FC_RESNET18
            case "ResNet18": return ResNet18();
#endif
            default: throw new ArgumentException($"{model} is not compiled into this program");
        }
    }

#if FC_MLP_96_48
    private static double Mlp9648()
    {
        var input = Program.Input(FirstCallModels.Mlp9648.InputLength);
        var output = new float[FirstCallModels.Mlp9648.OutputLength];
        FirstCallModels.Mlp9648.Predict(input, output);
        return Sum(output);
    }
#endif

#if FC_KD_STUDENT
    private static double KdStudentCnn4x8()
    {
        var input = Program.Input(FirstCallModels.KdStudentCnn4x8.InputLength);
        var output = new float[FirstCallModels.KdStudentCnn4x8.OutputLength];
        FirstCallModels.KdStudentCnn4x8.Predict(input, output);
        return Sum(output);
    }
#endif

#if FC_TINY_RESNET3
    private static double TinyResnet3()
    {
        var input = Program.Input(FirstCallModels.TinyResnet3.InputLength);
        var output = new float[FirstCallModels.TinyResnet3.OutputLength];
        FirstCallModels.TinyResnet3.Predict(input, output);
        return Sum(output);
    }
#endif

#if FC_TINY_DENSENET4
    private static double TinyDensenet4()
    {
        var input = Program.Input(FirstCallModels.TinyDensenet4.InputLength);
        var output = new float[FirstCallModels.TinyDensenet4.OutputLength];
        FirstCallModels.TinyDensenet4.Predict(input, output);
        return Sum(output);
    }
#endif

#if FC_TINY_MOBILENET5
    private static double TinyMobilenet5()
    {
        var input = Program.Input(FirstCallModels.TinyMobilenet5.InputLength);
        var output = new float[FirstCallModels.TinyMobilenet5.OutputLength];
        FirstCallModels.TinyMobilenet5.Predict(input, output);
        return Sum(output);
    }
#endif

#if FC_TINY_SQUEEZENET_B
    private static double TinySqueezenetB()
    {
        var input = Program.Input(FirstCallModels.TinySqueezenetB.InputLength);
        var output = new float[FirstCallModels.TinySqueezenetB.OutputLength];
        FirstCallModels.TinySqueezenetB.Predict(input, output);
        return Sum(output);
    }
#endif

#if FC_TINY_SHUFFLENET3
    private static double TinyShufflenet3()
    {
        var input = Program.Input(FirstCallModels.TinyShufflenet3.InputLength);
        var output = new float[FirstCallModels.TinyShufflenet3.OutputLength];
        FirstCallModels.TinyShufflenet3.Predict(input, output);
        return Sum(output);
    }
#endif

#if FC_TINY_BNN3_SIGN
    private static double TinyBnn3Sign()
    {
        var input = Program.Input(FirstCallModels.TinyBnn3Sign.InputLength);
        var output = new float[FirstCallModels.TinyBnn3Sign.OutputLength];
        FirstCallModels.TinyBnn3Sign.Predict(input, output);
        return Sum(output);
    }
#endif

#if FC_MNIST
    private static double MnistCnn()
    {
        var input = Program.Input(FirstCallModels.MnistCnn.InputLength);
        var output = new float[FirstCallModels.MnistCnn.OutputLength];
        FirstCallModels.MnistCnn.Predict(input, output);
        return Sum(output);
    }
#endif

#if FC_SQUEEZENET11
    private static double SqueezeNet11()
    {
        var input = Program.Input(FirstCallModels.SqueezeNet11.InputLength);
        var output = new float[FirstCallModels.SqueezeNet11.OutputLength];
        FirstCallModels.SqueezeNet11.Predict(input, output);
        return Sum(output);
    }
#endif

#if FC_SHUFFLENETV2
    private static double ShuffleNetV2()
    {
        var input = Program.Input(FirstCallModels.ShuffleNetV2.InputLength);
        var output = new float[FirstCallModels.ShuffleNetV2.OutputLength];
        FirstCallModels.ShuffleNetV2.Predict(input, output);
        return Sum(output);
    }
#endif

#if FC_MOBILENETV3
    private static double MobileNetV3Small()
    {
        var input = Program.Input(FirstCallModels.MobileNetV3Small.InputLength);
        var output = new float[FirstCallModels.MobileNetV3Small.OutputLength];
        FirstCallModels.MobileNetV3Small.Predict(input, output);
        return Sum(output);
    }
#endif

#if FC_MOBILENETV2
    private static double MobileNetV2()
    {
        var input = Program.Input(FirstCallModels.MobileNetV2.InputLength);
        var output = new float[FirstCallModels.MobileNetV2.OutputLength];
        FirstCallModels.MobileNetV2.Predict(input, output);
        return Sum(output);
    }
#endif

#if FC_DENSENET121
    private static double DenseNet121()
    {
        var input = Program.Input(FirstCallModels.DenseNet121.InputLength);
        var output = new float[FirstCallModels.DenseNet121.OutputLength];
        FirstCallModels.DenseNet121.Predict(input, output);
        return Sum(output);
    }
#endif

#if FC_RESNET18
    private static double ResNet18()
    {
        var input = Program.Input(FirstCallModels.ResNet18.InputLength);
        var output = new float[FirstCallModels.ResNet18.OutputLength];
        FirstCallModels.ResNet18.Predict(input, output);
        return Sum(output);
    }
#endif

    private static double Sum(float[] values)
    {
        double sum = 0;
        foreach (float v in values) sum += v;
        return sum;
    }
}

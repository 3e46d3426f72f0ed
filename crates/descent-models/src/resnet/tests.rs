//! Tests of the ResNet against PyTorch: parameter counts and logits on the same weights.

use super::*;
use crate::test_utils::{set_batch_norm, set_conv_weight, set_linear, wave_tensor};
use burn::tensor::{TensorData, Tolerance};

fn device() -> Device {
    Device::flex()
}

// Parameter counts from PyTorch 2.15: crates/descent-models/scripts/torch_resnet.py, whose
// `ResNet` is tomgoldstein/loss-landscape's `ResNet_cifar` (checked there against the
// unmodified classes: same counts, same state_dict keys, same outputs) with width, input
// channels and option A added. Abridged:
//
// class Block(nn.Module):
//     def __init__(self, c_in, c_out, stride, shortcut):
//         self.conv1 = nn.Conv2d(c_in, c_out, 3, stride=stride, padding=1, bias=False)
//         self.bn1 = nn.BatchNorm2d(c_out)
//         self.conv2 = nn.Conv2d(c_out, c_out, 3, stride=1, padding=1, bias=False)
//         self.bn2 = nn.BatchNorm2d(c_out)
//         self.use_shortcut = shortcut != 'none'
//         self.shortcut = nn.Sequential()
//         if self.use_shortcut and (stride != 1 or c_in != c_out):
//             if shortcut == 'B':
//                 self.shortcut = nn.Sequential(
//                     nn.Conv2d(c_in, c_out, 1, stride=stride, bias=False), nn.BatchNorm2d(c_out))
//             else:
//                 self.shortcut = ZeroPad(c_in, c_out, stride)  # x[:, :, ::s, ::s], F.pad channels
//     def forward(self, x):
//         out = F.relu(self.bn1(self.conv1(x)))
//         out = self.bn2(self.conv2(out))
//         if self.use_shortcut:
//             out = out + self.shortcut(x)
//         return F.relu(out)
// class ResNet(nn.Module):
//     def __init__(self, depth, shortcut='B', width=1.0, in_channels=3, classes=10):
//         n = (depth - 2) // 6
//         c = [scale(16, width), scale(32, width), scale(64, width)]
//         self.conv1 = nn.Conv2d(in_channels, c[0], 3, stride=1, padding=1, bias=False)
//         self.bn1 = nn.BatchNorm2d(c[0])
//         ... layer1..3: n blocks each, the first of layer2 and layer3 with stride 2
//         self.linear = nn.Linear(c[2], classes)
//     def forward(self, x):
//         out = F.relu(self.bn1(self.conv1(x)))
//         out = self.layer3(self.layer2(self.layer1(out)))
//         return self.linear(out.mean(dim=(2, 3)))
// for depth in (20, 32, 44, 56, 110):
//     for shortcut in ('B', 'A', 'none'):
//         for width in (1.0, 0.5, 2.0):
//             for c in (3, 1):
//                 print(depth, shortcut, width, c, sum(p.numel() for p in ResNet(...).parameters()))
#[rustfmt::skip]
const TORCH_PARAM_COUNTS: [(usize, Shortcut, f64, usize, usize); 90] = [
    (20, Shortcut::Projection, 1.0, 3, 272474),
    (20, Shortcut::Projection, 1.0, 1, 272186),
    (20, Shortcut::Projection, 0.5, 3, 68786),
    (20, Shortcut::Projection, 0.5, 1, 68642),
    (20, Shortcut::Projection, 2.0, 3, 1084586),
    (20, Shortcut::Projection, 2.0, 1, 1084010),
    (20, Shortcut::ZeroPad, 1.0, 3, 269722),
    (20, Shortcut::ZeroPad, 1.0, 1, 269434),
    (20, Shortcut::ZeroPad, 0.5, 3, 68050),
    (20, Shortcut::ZeroPad, 0.5, 1, 67906),
    (20, Shortcut::ZeroPad, 2.0, 3, 1073962),
    (20, Shortcut::ZeroPad, 2.0, 1, 1073386),
    (20, Shortcut::None, 1.0, 3, 269722),
    (20, Shortcut::None, 1.0, 1, 269434),
    (20, Shortcut::None, 0.5, 3, 68050),
    (20, Shortcut::None, 0.5, 1, 67906),
    (20, Shortcut::None, 2.0, 3, 1073962),
    (20, Shortcut::None, 2.0, 1, 1073386),
    (32, Shortcut::Projection, 1.0, 3, 466906),
    (32, Shortcut::Projection, 1.0, 1, 466618),
    (32, Shortcut::Projection, 0.5, 3, 117618),
    (32, Shortcut::Projection, 0.5, 1, 117474),
    (32, Shortcut::Projection, 2.0, 3, 1860522),
    (32, Shortcut::Projection, 2.0, 1, 1859946),
    (32, Shortcut::ZeroPad, 1.0, 3, 464154),
    (32, Shortcut::ZeroPad, 1.0, 1, 463866),
    (32, Shortcut::ZeroPad, 0.5, 3, 116882),
    (32, Shortcut::ZeroPad, 0.5, 1, 116738),
    (32, Shortcut::ZeroPad, 2.0, 3, 1849898),
    (32, Shortcut::ZeroPad, 2.0, 1, 1849322),
    (32, Shortcut::None, 1.0, 3, 464154),
    (32, Shortcut::None, 1.0, 1, 463866),
    (32, Shortcut::None, 0.5, 3, 116882),
    (32, Shortcut::None, 0.5, 1, 116738),
    (32, Shortcut::None, 2.0, 3, 1849898),
    (32, Shortcut::None, 2.0, 1, 1849322),
    (44, Shortcut::Projection, 1.0, 3, 661338),
    (44, Shortcut::Projection, 1.0, 1, 661050),
    (44, Shortcut::Projection, 0.5, 3, 166450),
    (44, Shortcut::Projection, 0.5, 1, 166306),
    (44, Shortcut::Projection, 2.0, 3, 2636458),
    (44, Shortcut::Projection, 2.0, 1, 2635882),
    (44, Shortcut::ZeroPad, 1.0, 3, 658586),
    (44, Shortcut::ZeroPad, 1.0, 1, 658298),
    (44, Shortcut::ZeroPad, 0.5, 3, 165714),
    (44, Shortcut::ZeroPad, 0.5, 1, 165570),
    (44, Shortcut::ZeroPad, 2.0, 3, 2625834),
    (44, Shortcut::ZeroPad, 2.0, 1, 2625258),
    (44, Shortcut::None, 1.0, 3, 658586),
    (44, Shortcut::None, 1.0, 1, 658298),
    (44, Shortcut::None, 0.5, 3, 165714),
    (44, Shortcut::None, 0.5, 1, 165570),
    (44, Shortcut::None, 2.0, 3, 2625834),
    (44, Shortcut::None, 2.0, 1, 2625258),
    (56, Shortcut::Projection, 1.0, 3, 855770),
    (56, Shortcut::Projection, 1.0, 1, 855482),
    (56, Shortcut::Projection, 0.5, 3, 215282),
    (56, Shortcut::Projection, 0.5, 1, 215138),
    (56, Shortcut::Projection, 2.0, 3, 3412394),
    (56, Shortcut::Projection, 2.0, 1, 3411818),
    (56, Shortcut::ZeroPad, 1.0, 3, 853018),
    (56, Shortcut::ZeroPad, 1.0, 1, 852730),
    (56, Shortcut::ZeroPad, 0.5, 3, 214546),
    (56, Shortcut::ZeroPad, 0.5, 1, 214402),
    (56, Shortcut::ZeroPad, 2.0, 3, 3401770),
    (56, Shortcut::ZeroPad, 2.0, 1, 3401194),
    (56, Shortcut::None, 1.0, 3, 853018),
    (56, Shortcut::None, 1.0, 1, 852730),
    (56, Shortcut::None, 0.5, 3, 214546),
    (56, Shortcut::None, 0.5, 1, 214402),
    (56, Shortcut::None, 2.0, 3, 3401770),
    (56, Shortcut::None, 2.0, 1, 3401194),
    (110, Shortcut::Projection, 1.0, 3, 1730714),
    (110, Shortcut::Projection, 1.0, 1, 1730426),
    (110, Shortcut::Projection, 0.5, 3, 435026),
    (110, Shortcut::Projection, 0.5, 1, 434882),
    (110, Shortcut::Projection, 2.0, 3, 6904106),
    (110, Shortcut::Projection, 2.0, 1, 6903530),
    (110, Shortcut::ZeroPad, 1.0, 3, 1727962),
    (110, Shortcut::ZeroPad, 1.0, 1, 1727674),
    (110, Shortcut::ZeroPad, 0.5, 3, 434290),
    (110, Shortcut::ZeroPad, 0.5, 1, 434146),
    (110, Shortcut::ZeroPad, 2.0, 3, 6893482),
    (110, Shortcut::ZeroPad, 2.0, 1, 6892906),
    (110, Shortcut::None, 1.0, 3, 1727962),
    (110, Shortcut::None, 1.0, 1, 1727674),
    (110, Shortcut::None, 0.5, 3, 434290),
    (110, Shortcut::None, 0.5, 1, 434146),
    (110, Shortcut::None, 2.0, 3, 6893482),
    (110, Shortcut::None, 2.0, 1, 6892906),
];

#[test]
fn param_counts_match_pytorch() {
    let device = device();
    for (depth, shortcut, width, channels, torch_count) in TORCH_PARAM_COUNTS {
        let config = ResNetConfig::new(depth)
            .with_shortcut(shortcut)
            .with_width(width)
            .with_in_channels(channels);
        let what = config.describe();
        assert_eq!(config.num_params(), torch_count, "config count of {what}");
        let resnet = config.init(&device).expect("valid config");
        assert_eq!(
            resnet.num_trainable_params(),
            torch_count,
            "module count of {what}"
        );
        let projections = resnet.blocks().filter(|b| b.shortcut.is_some()).count();
        let expected = if shortcut == Shortcut::Projection {
            2
        } else {
            0
        };
        assert_eq!(projections, expected, "{what}");
    }
    // The counts of the ResNet paper's table 6 (option A): 0.27M, 0.46M, 0.66M, 0.85M, 1.7M.
    let millions: Vec<f64> = [20, 32, 44, 56, 110]
        .map(|d| {
            let config = ResNetConfig::new(d).with_shortcut(Shortcut::ZeroPad);
            (config.num_params() as f64 / 1e4).round() / 100.0
        })
        .to_vec();
    assert_eq!(millions, [0.27, 0.46, 0.66, 0.85, 1.73]);
}

/// Writes the deterministic weights of `scripts/torch_resnet.py` into a ResNet: convolutions
/// in PyTorch's `named_modules` order seeded 10 + i, batch norms 50 + i, the linear layer 99.
fn set_weights(resnet: &mut ResNet, device: &Device) {
    let mut conv = 10.0;
    let mut norm = 50.0;
    let next = |counter: &mut f64| {
        let seed = *counter;
        *counter += 1.0;
        seed
    };
    set_conv_weight(&mut resnet.conv1, next(&mut conv), device);
    set_batch_norm(&mut resnet.bn1, next(&mut norm), device);
    for block in resnet
        .layer1
        .iter_mut()
        .chain(resnet.layer2.iter_mut())
        .chain(resnet.layer3.iter_mut())
    {
        set_conv_weight(&mut block.conv1, next(&mut conv), device);
        set_batch_norm(&mut block.bn1, next(&mut norm), device);
        set_conv_weight(&mut block.conv2, next(&mut conv), device);
        set_batch_norm(&mut block.bn2, next(&mut norm), device);
        if let Some(p) = &mut block.shortcut {
            set_conv_weight(&mut p.conv, next(&mut conv), device);
            set_batch_norm(&mut p.norm, next(&mut norm), device);
        }
    }
    set_linear(&mut resnet.linear, 99.0, device);
}

// Logits from the same script (its second half): `set_weights` there, the input
// `wave((3, c, size, size), 0.7, 1.0)`, eval mode and then training mode (batch statistics).
/// Depth, shortcut, width, input channels, input size, training mode, and the logits of the
/// three images.
type LogitsCase = (usize, Shortcut, f64, usize, usize, bool, [[f32; 10]; 3]);

#[rustfmt::skip]
const TORCH_LOGITS: [LogitsCase; 16] = [
    (8, Shortcut::Projection, 0.5, 3, 32, false, [[-122.7502975, -123.3187103, -61.6560135, 31.1213017, 108.1908722, 130.6595154, 87.1955719, -0.2521846, -87.5356903, -130.5948029], [-124.3116760, -124.3361359, -61.6158676, 32.1987610, 109.7617111, 131.9307404, 87.5254593, -1.0301849, -89.0288315, -132.0493011], [-125.6101151, -126.4632416, -63.4978294, 31.5119801, 110.6168213, 133.8960571, 89.6088562, 0.1195441, -89.3931656, -133.7437897]]),
    (8, Shortcut::Projection, 0.5, 3, 32, true, [[-0.5454728, -0.6544026, -0.4556580, -0.0374872, 0.4025249, 0.6553731, 0.6043653, 0.2825493, -0.1449585, -0.4646863], [-0.5451334, -0.5787879, -0.3429398, 0.0554319, 0.4287376, 0.6016465, 0.4978219, 0.1769741, -0.1962688, -0.4358293], [-0.5809431, -0.6669605, -0.4389639, 0.0000312, 0.4419277, 0.6767688, 0.5969530, 0.2500707, -0.1861074, -0.4937328]]),
    (8, Shortcut::ZeroPad, 0.5, 3, 32, false, [[36.1471825, -21.1192055, -67.7468719, -80.1851425, -52.1413994, 2.2404320, 55.5182304, 80.8035889, 65.3345871, 16.9179668], [38.1193924, -20.7070236, -69.1027985, -82.6246719, -54.4330101, 1.2535813, 56.3343239, 83.0106506, 67.8184433, 18.4247131], [36.3040962, -18.6030807, -64.1417236, -77.3109207, -51.4490700, 0.4013609, 52.0761566, 77.4961395, 63.8314438, 17.9779243]]),
    (8, Shortcut::ZeroPad, 0.5, 3, 32, true, [[-0.9053928, -0.8996207, -0.4623832, 0.1976754, 0.7608605, 0.9559866, 0.6955007, 0.1181997, -0.4818261, -0.8040143], [-0.8181006, -0.8092667, -0.4145800, 0.1787958, 0.6848291, 0.8611852, 0.6297873, 0.1147477, -0.4212741, -0.7100262], [-0.9402714, -0.8996432, -0.4275380, 0.2497976, 0.8039475, 0.9682871, 0.6708053, 0.0689750, -0.5307303, -0.8279103]]),
    (8, Shortcut::None, 0.5, 3, 32, false, [[11.4616575, -4.4626079, -18.1567402, -22.6955776, -15.7743111, -0.8738100, 14.4947958, 22.5804234, 19.3039360, 6.3170314], [15.2172165, -2.6271913, -19.1680202, -26.0430431, -19.7680874, -3.4977624, 14.5652952, 25.3097820, 23.3143196, 9.5839167], [12.5091743, -1.6304902, -14.9697313, -20.7625484, -16.0710888, -3.2505791, 11.2378778, 20.0875130, 18.8335075, 8.1065636]]),
    (8, Shortcut::None, 0.5, 3, 32, true, [[0.2178373, -0.2823298, -0.6626524, -0.7190539, -0.4095453, 0.1227489, 0.6200666, 0.8386497, 0.6708103, 0.1989341], [0.3190742, -0.2808449, -0.7616691, -0.8685865, -0.5341068, 0.0860399, 0.6897414, 0.9795352, 0.8117844, 0.2688304], [0.2634662, -0.3864588, -0.8639727, -0.9159350, -0.5025976, 0.1805001, 0.7994674, 1.0491349, 0.8061227, 0.1907652]]),
    (14, Shortcut::Projection, 0.25, 1, 28, false, [[-601.9813843, -642.5736084, -599.3353271, -477.9075928, -294.1321411, -71.9842911, 159.5541687, 370.2768860, 532.6926270, 625.6128540], [-585.9308472, -620.4046021, -573.9398804, -452.5989075, -272.2118530, -56.3122673, 166.9335022, 368.4006653, 521.8057251, 607.1355591], [-588.7485352, -625.3117065, -580.2963867, -459.5754700, -278.8983459, -61.8362846, 163.2925110, 367.1177673, 523.0482788, 610.7415161]]),
    (14, Shortcut::Projection, 0.25, 1, 28, true, [[0.4519652, 0.3715388, 0.2429415, 0.0827900, -0.0882008, -0.2478969, -0.3756094, -0.4547731, -0.4750956, -0.4338946], [0.4066827, 0.3276504, 0.2061727, 0.0579380, -0.0978942, -0.2411669, -0.3533340, -0.4198583, -0.4320964, -0.3884208], [0.2490558, 0.1450260, 0.0223761, -0.1030528, -0.2150761, -0.2992527, -0.3447455, -0.3457161, -0.3020732, -0.2194792]]),
    (14, Shortcut::ZeroPad, 0.5, 1, 28, false, [[9045.5332031, 16400.1679688, 15475.6406250, 6738.6835938, -5400.0942383, -14812.7783203, -16747.6425781, -10227.9228516, 1455.0987549, 12403.5908203], [9300.1523438, 16368.5546875, 15173.7568359, 6318.9248047, -5725.8256836, -14880.0458984, -16522.4902344, -9824.0097656, 1833.8670654, 12566.0058594], [8916.9345703, 16453.5703125, 15684.0859375, 6996.9443359, -5222.3935547, -14805.3447266, -16914.2285156, -10484.4335938, 1238.1564941, 12335.7324219]]),
    (14, Shortcut::ZeroPad, 0.5, 1, 28, true, [[0.8630152, 0.7954961, 0.3037131, -0.3519898, -0.8270840, -0.8686106, -0.4446552, 0.2380589, 0.8375409, 1.0488172], [-0.0424078, 0.1727965, 0.2780884, 0.2323961, 0.0723027, -0.1082518, -0.2071689, -0.1672153, -0.0059032, 0.1929911], [0.0782054, 0.0508215, -0.0248995, -0.0986501, -0.1196830, -0.0642587, 0.0505944, 0.1741939, 0.2468018, 0.2294211]]),
    (14, Shortcut::None, 0.25, 1, 28, false, [[7.4408441, 5.3925176, 2.6409829, -0.4549536, -3.4915762, -6.0728993, -7.8623085, -8.6264534, -8.2656803, -6.8270235], [7.9192290, 6.3196206, 3.8958533, 0.9639739, -2.0937045, -4.8784513, -7.0271106, -8.2594662, -8.4147797, -7.4727602], [4.6736655, 3.6890352, 2.2234333, 0.4679020, -1.3487103, -2.9895821, -4.2407889, -4.9391966, -4.9937243, -4.3972282]]),
    (14, Shortcut::None, 0.25, 1, 28, true, [[0.2649109, 0.1092518, -0.0603604, -0.2219578, -0.3546371, -0.4412626, -0.4706777, -0.4391416, -0.3508036, -0.2171572], [0.1897905, 0.0430744, -0.1089611, -0.2466415, -0.3521836, -0.4119919, -0.4184085, -0.3706929, -0.2751052, -0.1440848], [0.3471037, 0.1480471, -0.0700238, -0.2788193, -0.4512786, -0.5650762, -0.6055106, -0.5674036, -0.4557615, -0.2851183]]),
    (8, Shortcut::ZeroPad, 0.3, 2, 9, false, [[0.9805664, 0.7607025, 0.1115590, -0.6083533, -1.0013129, -0.8440553, -0.2085218, 0.5748419, 1.0919160, 1.0649514], [1.3830656, 1.0327001, 0.1082742, -0.8851720, -1.4043185, -1.1587331, -0.2673727, 0.8031434, 1.4858479, 1.4148289], [1.1349236, 0.8690876, 0.1162800, -0.7098093, -1.1549422, -0.9680830, -0.2369295, 0.6571752, 1.2411654, 1.2016733]]),
    (8, Shortcut::ZeroPad, 0.3, 2, 9, true, [[-0.4246291, 0.6770211, 1.3939342, 1.3574866, 0.6016001, -0.4572794, -1.2437588, -1.3313645, -0.6706106, 0.3842750], [1.9510413, 1.7082702, 0.5318415, -0.9390672, -1.9069881, -1.8426127, -0.7684419, 0.7515975, 1.9112623, 2.0907614], [1.8143086, 1.1908679, -0.0908238, -1.3355589, -1.8662587, -1.3863419, -0.1394969, 1.2184372, 1.9675040, 1.7064680]]),
    (8, Shortcut::Projection, 0.3, 2, 9, false, [[-2.9414554, -2.0248330, -0.0547852, 1.9330366, 2.8950617, 2.3333137, 0.5585684, -1.4766589, -2.6861885, -2.4287195], [-3.3841231, -2.1522505, 0.2008698, 2.4356825, 3.3771465, 2.5382297, 0.3772416, -1.9477106, -3.1962297, -2.7062626], [-3.4026217, -2.3390973, -0.0548688, 2.2471783, 3.3562152, 2.6960127, 0.6297530, -1.7348794, -3.1363666, -2.8312314]]),
    (8, Shortcut::Projection, 0.3, 2, 9, true, [[-1.5308181, -0.5313243, 0.7266194, 1.5864055, 1.6049023, 0.7863610, -0.4217539, -1.3685380, -1.5471754, -0.8650967], [-0.7550032, -0.2143709, 0.4160009, 0.8135534, 0.7811957, 0.3502486, -0.2381352, -0.6629261, -0.6951585, -0.3201926], [-1.6977369, -1.6139851, -0.6954971, 0.5818077, 1.5525576, 1.7141322, 0.9922920, -0.2208960, -1.2768123, -1.6159235]]),
];

#[test]
fn logits_match_pytorch_eval_and_train_mode() {
    for (depth, shortcut, width, channels, size, train, want) in TORCH_LOGITS {
        // Batch statistics are used only in training mode on an autodiff device.
        let device = if train { device().autodiff() } else { device() };
        let config = ResNetConfig::new(depth)
            .with_shortcut(shortcut)
            .with_width(width)
            .with_in_channels(channels)
            .with_image_size(size);
        let mut resnet = config.init(&device).expect("valid config");
        set_weights(&mut resnet, &device);
        let images = wave_tensor([3, channels, size, size], 0.7, 1.0, &device);
        let logits = resnet.forward(images);
        // Eval-mode logits reach a few hundred with these weights: compare relatively.
        logits
            .into_data()
            .assert_approx_eq::<f32>(&TensorData::from(want), Tolerance::rel_abs(2e-5, 1e-4));
    }
}

#[test]
fn output_shapes_every_shortcut_cifar_mnist_and_odd_sizes() {
    let device = device();
    for shortcut in Shortcut::ALL {
        for (channels, size, final_size) in [(3, 32, 8), (1, 28, 7), (2, 9, 3), (1, 1, 1)] {
            let config = ResNetConfig::new(8)
                .with_shortcut(shortcut)
                .with_width(0.25)
                .with_in_channels(channels)
                .with_image_size(size)
                .with_num_classes(7);
            assert_eq!(config.final_size(), final_size);
            let resnet = config.init(&device).expect("valid config");
            let logits = resnet.logits(Tensor::zeros([2, channels, size, size], &device));
            assert_eq!(logits.dims(), [2, 7], "{}", config.describe());
            assert_eq!(resnet.num_classes(), 7);
        }
    }
}

#[test]
fn blocks_stages_and_shortcut_plan() {
    let config = ResNetConfig::new(20).with_shortcut(Shortcut::ZeroPad);
    assert_eq!(config.blocks_per_stage(), 3);
    assert_eq!(config.stage_channels(), [16, 32, 64]);
    let resnet = config.init(&device()).expect("valid config");
    assert_eq!(
        [
            resnet.layer1.len(),
            resnet.layer2.len(),
            resnet.layer3.len()
        ],
        [3, 3, 3]
    );
    // 2 + 6n weight layers: the stem, two per block, the classifier.
    assert_eq!(2 + 2 * resnet.blocks().count(), 20);
    let kinds: Vec<BlockShortcut> = resnet.blocks().map(|b| b.kind).collect();
    let pad = BlockShortcut::ZeroPad {
        stride: 2,
        front: 8,
        back: 8,
    };
    assert_eq!(kinds[3], pad);
    assert_eq!(
        kinds
            .iter()
            .filter(|k| **k == BlockShortcut::Identity)
            .count(),
        7
    );
    assert_eq!(resnet.layer2[0].conv1.stride, [2, 2]);
    assert_eq!(resnet.layer2[1].conv1.stride, [1, 1]);
    // Width 0.3: 5, 10, 19 channels; the odd extras split with the smaller half first.
    let config = ResNetConfig::new(8)
        .with_shortcut(Shortcut::ZeroPad)
        .with_width(0.3);
    assert_eq!(config.stage_channels(), [5, 10, 19]);
    let kinds: Vec<BlockShortcut> = config
        .init(&device())
        .expect("valid config")
        .blocks()
        .map(|b| b.kind)
        .collect();
    assert_eq!(
        kinds,
        [
            BlockShortcut::Identity,
            BlockShortcut::ZeroPad {
                stride: 2,
                front: 2,
                back: 3
            },
            BlockShortcut::ZeroPad {
                stride: 2,
                front: 4,
                back: 5
            },
        ]
    );
    let noshort = ResNetConfig::new(8).with_shortcut(Shortcut::None);
    let resnet = noshort.init(&device()).expect("valid config");
    assert!(resnet.blocks().all(|b| b.kind == BlockShortcut::None));
}

#[test]
fn names_parse_and_describe() {
    for (name, depth) in [
        ("resnet20", 20),
        ("ResNet-56", 56),
        ("resnet_110", 110),
        ("RESNET32", 32),
        ("resnet44", 44),
        ("resnet8", 8),
    ] {
        assert_eq!(ResNetConfig::from_name(name).map(|c| c.depth), Ok(depth));
    }
    for bad in ["resnet", "resnet-x", "vgg11", "", "resnet20a", "20"] {
        assert_eq!(
            ResNetConfig::from_name(bad),
            Err(ModelError::UnknownResNet {
                input: bad.to_string()
            }),
            "{bad}"
        );
    }
    assert_eq!(
        ResNetConfig::from_name("resnet18"),
        Err(ModelError::InvalidResNetDepth { depth: 18 })
    );
    assert_eq!(
        ResNetConfig::new(20).describe(),
        "resnet20 x1 (3x32x32 -> 10)"
    );
    assert_eq!(
        ResNetConfig::new(56)
            .with_shortcut(Shortcut::None)
            .with_in_channels(1)
            .with_image_size(28)
            .describe(),
        "resnet56-noshort x1 (1x28x28 -> 10)"
    );
    assert_eq!(
        ResNetConfig::new(20)
            .with_shortcut(Shortcut::ZeroPad)
            .with_width(2.0)
            .describe(),
        "resnet20-zeropad x2 (3x32x32 -> 10)"
    );
}

#[test]
fn invalid_configs_are_errors_naming_the_field() {
    let device = device();
    let base = ResNetConfig::new(20);
    let cases = [
        (
            ResNetConfig::new(2),
            ModelError::InvalidResNetDepth { depth: 2 },
        ),
        (
            ResNetConfig::new(21),
            ModelError::InvalidResNetDepth { depth: 21 },
        ),
        (
            ResNetConfig::new(0),
            ModelError::InvalidResNetDepth { depth: 0 },
        ),
        (
            base.clone().with_num_classes(0),
            ModelError::ZeroSize {
                field: "num_classes",
            },
        ),
        (
            base.clone().with_in_channels(0),
            ModelError::ZeroSize {
                field: "in_channels",
            },
        ),
        (
            base.clone().with_image_size(0),
            ModelError::ZeroSize {
                field: "image_size",
            },
        ),
        (
            base.clone().with_width(0.0),
            ModelError::InvalidWidth { width: 0.0 },
        ),
        (
            base.clone().with_width(f64::INFINITY),
            ModelError::InvalidWidth {
                width: f64::INFINITY,
            },
        ),
    ];
    for (config, want) in cases {
        assert_eq!(config.init(&device).err(), Some(want));
    }
    assert_eq!(
        ResNetConfig::new(21)
            .validate()
            .expect_err("bad depth")
            .to_string(),
        "`depth` of a CIFAR ResNet must be 6n + 2 with n >= 1 (8, 14, 20, 32, 44, 56, 110, ...), got 21"
    );
}

#[test]
#[should_panic(expected = "resnet expects images of shape [N, 1, 28, 28], got [2, 3, 32, 32]")]
fn forward_panics_on_wrong_image_shape() {
    let device = device();
    let resnet = ResNetConfig::new(8)
        .with_width(0.25)
        .with_in_channels(1)
        .with_image_size(28)
        .init(&device)
        .expect("valid config");
    let _ = resnet.forward(Tensor::zeros([2, 3, 32, 32], &device));
}

#[test]
fn trains_one_step_through_every_shortcut() {
    // The gradient reaches every parameter through the residual additions (and, without
    // shortcuts, through the plain chain): one autodiff backward pass, every weight's
    // gradient present and finite.
    use burn::module::{ModuleVisitor, Param};
    struct Check<'a> {
        grads: &'a burn::tensor::Gradients,
        seen: usize,
    }
    impl ModuleVisitor for Check<'_> {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            if param.is_require_grad() {
                let grad = param.val().grad(self.grads).expect("gradient");
                let finite = grad.is_finite().all().into_scalar::<bool>();
                assert!(finite);
                self.seen += 1;
            }
        }
    }
    let device = device().autodiff();
    for shortcut in Shortcut::ALL {
        let resnet = ResNetConfig::new(8)
            .with_shortcut(shortcut)
            .with_width(0.25)
            .with_in_channels(1)
            .with_image_size(9)
            .init(&device)
            .expect("valid config");
        let images = wave_tensor([4, 1, 9, 9], 0.3, 1.0, &device);
        let loss = resnet.forward(images).powi_scalar(2).mean();
        let grads = loss.backward();
        let mut check = Check {
            grads: &grads,
            seen: 0,
        };
        resnet.visit(&mut check);
        // conv1 + bn1(2) + 3 blocks x (2 convs + 2 bns x 2) + projections + linear(2).
        let projections = if shortcut == Shortcut::Projection {
            2 * 3
        } else {
            0
        };
        assert_eq!(check.seen, 3 + 3 * 6 + projections + 2, "{shortcut}");
    }
}

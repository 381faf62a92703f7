"""main.py, trainer.py and util.py of the demo's training-code repository, one text per version.

Written for the demo (nothing is copied from the benchmark's repositories), in the style of the
real scripts, so that a reader of the repository (the ingest, with Python's `ast`) finds what it looks
for: `parser.add_argument('--name', ...)` calls in the version's declaration order
(`codeversions.TRAIN_CODES`), the assignments to `args.<name>` the version makes after parsing, and
`logger.info(...)` calls whose format strings are the line templates of its logs
(`'%s Correct Count: %d/%d Acc: %.2f '`, `'Best PGD-20 accuracy: %.2f'`, ...). The scripts are
valid Python; they are not meant to train anything here.
"""
from __future__ import annotations

from typing import List

from .codeversions import TRAIN_CODES

_TRAIN_OPTIONS = {
    "exp_name": "'--exp_name', type=str, default='ablation_dir'",
    "config_path": "'--config_path', type=str, default='configs'",
    "version": "'--version', type=str, help='config name, e.g. arch_42'",
    "seed": "'--seed', type=int, default=0",
    "fix_seed": "'--fix_seed', action='store_true', default=False",
    "data_path": "'--data_path', type=str, default='./datasets'",
    "run": "'--run', type=str, default='r1'",
    "stop_epoch": "'--stop_epoch', type=int, default=None",
    "warmup_steps": "'--warmup_steps', type=int, default=0",
    "save_epochs": "'--save_epochs', type=list, default=[74, 89]",
    "train_eval_epoch": "'--train_eval_epoch', default={tee}, type=float, help='PGD/CW validation from this share of the epochs'",
    "data_parallel": "'--data_parallel', action='store_true', default=False",
    "valset": "'--valset', action='store_false', default=True",
    "load_model": "'--load_model', action='store_true', default=False",
    "load_best_model": "'--load_best_model', action='store_true', default=False",
    "train": "'--train', action='store_true', default=False",
    "attack_choice": "'--attack_choice', default=['PGD', 'PGD-CW'], choices={choices}, type=list",
    "attack_step": "'--attack_step', default=[20, 40], type=int, nargs='+'",
    "epsilon": "'--epsilon', default=8, type=float, help='perturbation budget (x/255)'",
    "num_steps": "'--num_steps', default=20, type=int, help='attack steps'",
    "step_size": "'--step_size', default=0.8, type=float, help='attack step size (x/255)'",
    "apex_amp": "'--apex-amp', action='store_true', default=False, help='mixed precision with NVIDIA apex'",
    "native_amp": "'--native-amp', action='store_true', default=False, help='mixed precision with torch.cuda.amp'",
}


def _train_options(code: str, variant: str) -> List[str]:
    spec = TRAIN_CODES[code]
    lines = []
    for name in spec.arguments:
        text = _TRAIN_OPTIONS[name]
        if name == "attack_choice" and code in ("T1", "T2"):
            text = "'--attack_choice', default='PGD', choices=['PGD', 'CW', 'AA', 'none']"
        elif name == "attack_choice" and code == "T9":
            text = "'--attack_choice', default=['PGD', 'PGD-CW'], choices=['PGD', 'PGD-CW'], type=str, nargs='+'"
        elif name == "save_epochs" and code == "T9":
            text = "'--save_epochs', type=int, default=[74, 89], nargs='+'"
        choices = "['PGD', 'PGD-CW']" if code not in ("T3", "T4", "T5") or variant else "['PGD', 'CW']"
        tee = "0.5" if code in ("T1", "T3", "T4", "T5") else "0.0"
        lines.append(f"parser.add_argument({text.format(choices=choices, tee=tee)})")
    return lines


def _train_after_parse(code: str) -> List[str]:
    spec = TRAIN_CODES[code]
    out = []
    if spec.exp_levels == "size" and code not in ("T1", "T2"):
        out.append("args.exp_name = args.config_path.replace('configs', 'ablation_dir')")
    elif spec.exp_levels == "arch":
        out.append("args.exp_name = '{}/{}'.format(args.config_path.replace('configs', 'ablation_dir'), args.version)")
    elif spec.exp_levels == "run":
        out += ["exp_name = '{}/{}'.format(args.config_path.replace('configs', 'ablation_dir'), args.run)",
                "args.exp_name = '{}/{}'.format(exp_name, args.version)"]
    if spec.forced:
        out.append("# settings every NAS-Bench run uses")
    out += [f"args.{name} = {value!r}" for name, value in spec.forced]
    if code == "T1":
        out += ["args.ema = False", "args.tau = 0.9999", "args.static_decay = True"]
    out += ["if args.epsilon > 1:", "    args.epsilon = args.epsilon / 255", "    args.step_size = args.step_size / 255"]
    return out


def _whitebox_eval(code: str) -> str:
    spec = TRAIN_CODES[code]
    label = "args.attack_choice" if spec.list_label or code in ("T1", "T2") else "attack_choice"
    steps = "args.num_steps" if spec.list_label or code in ("T1", "T2") else "num_steps"
    title = "" if code in ("T1", "T2") else (
        "    logger.info('---- {} attacking results ----'.format(attack_choice))\n")
    return f'''
def whitebox_eval(data_loader, model, evaluator, attack_choice, num_steps):
    natural_count, attack_count, stable_count, total = 0, 0, 0, 0
    loss_meters, lip_meters = util.AverageMeter(), util.AverageMeter()
    model.eval()
    for images, labels in data_loader["test_dataset"]:
        images, labels = images.to(device), labels.to(device)
        if attack_choice == 'PGD':
            result = evaluator.pgd_whitebox(model, images, labels, args.epsilon, num_steps, args.step_size)
        else:
            result = evaluator.pgd_cw_whitebox(model, images, labels, args.epsilon, num_steps, args.step_size)
        correct, attacked, loss, stable, adversarial = result
        total += images.size(0)
        natural_count += correct
        attack_count += attacked
        stable_count += stable
        lip_meters.update(util.local_lip(model, images, adversarial).item())
        loss_meters.update(loss)
    natural_acc = (natural_count / total) * 100
    attack_acc = (attack_count / total) * 100
{title}    logger.info('Natural Correct Count: %d/%d Acc: %.2f ' % (natural_count, total, natural_acc))
    logger.info('%s Correct Count: %d/%d Acc: %.2f ' % ({label}, attack_count, total, attack_acc))
    logger.info('%s with %.1f steps Loss Avg: %.2f ' % ({label}, {steps}, loss_meters.avg))
    logger.info('LIP Avg: %.4f ' % (lip_meters.avg))
    logger.info('Stable Count: %d/%d StableAcc: %.2f ' % (stable_count, total, stable_count * 100 / total))
    return natural_acc, attack_acc, stable_count * 100 / total, lip_meters.avg
'''


def _validation(code: str) -> str:
    spec = TRAIN_CODES[code]
    if code == "T1":
        return '''            _, pgd_acc, _, _ = whitebox_eval(data_loader, model, evaluator, 'PGD', 20)
            is_best = pgd_acc > ENV['best_pgd_acc']
            ENV['best_pgd_acc'] = max(ENV['best_pgd_acc'], pgd_acc)
            logger.info('Best PGD accuracy: %.2f' % (ENV['best_pgd_acc']))
'''
    pgd_steps, cw_steps = ("args.attack_step[0]", "args.attack_step[1]") if spec.best_from_attack_step else ("20", "40")
    best_pgd = ("logger.info('Best PGD-%d accuracy: %.2f' % (args.attack_step[0], ENV['best_pgd_acc']))"
                if spec.best_from_attack_step else "logger.info('Best PGD-20 accuracy: %.2f' % (ENV['best_pgd_acc']))")
    best_cw = ("logger.info('Best PGDCW-%d accuracy: %.2f' % (args.attack_step[1], ENV['best_pgdcw_acc']))"
               if spec.best_from_attack_step else
               "logger.info('Best PGDCW-40 accuracy: %.2f' % (ENV['best_pgdcw_acc']))")
    pgd_best = "                is_best = pgd_acc > ENV['best_pgd_acc']\n" if code == "T3" else ""
    second = "elif" if code == "T3" else "if"   # T3: only the first branch ever runs
    return f'''            if 'PGD' in args.attack_choice:
                _, pgd_acc, _, _ = whitebox_eval(data_loader, model, evaluator, 'PGD', {pgd_steps})
{pgd_best}                ENV['best_pgd_acc'] = max(ENV['best_pgd_acc'], pgd_acc)
                ENV['pgd_eval_history'].append((epoch, pgd_acc))
                {best_pgd}
            {second} 'PGD-CW' in args.attack_choice:
                _, cw_acc, stable_acc, lip = whitebox_eval(data_loader, model, evaluator, 'PGD-CW', {cw_steps})
                is_best = cw_acc > ENV['best_pgdcw_acc']
                ENV['best_pgdcw_acc'] = max(ENV['best_pgdcw_acc'], cw_acc)
                ENV['pgdcw_eval_history'].append((epoch, cw_acc))
                ENV['stable_acc_history'].append(stable_acc)
                ENV['lip_history'].append(lip)
                {best_cw}
'''


def train_main(code: str, variant: str = "") -> str:
    """main.py of a training code version."""
    spec = TRAIN_CODES[code]
    starts = 3 if code == "T1" else 2
    last, extra = spec.last_checkpoint, spec.extra_checkpoint
    extra_epochs = "[int(config.epochs * 0.7)]" if spec.extra_at_70_percent else "args.save_epochs"
    if code in ("T1", "T2"):
        extra_epochs = "[int(config.epochs * 0.7)]"
    seed = ["if not args.fix_seed:", "    args.seed = random.randint(0, 1000)"] if spec.random_seed else []
    config_seed = ["config['seed'] = '{}'.format(args.seed)",
                   "config['dataset']['data_path'] = '{}'.format(args.data_path)"] if spec.config_seed else []
    if code == "T9":
        config_seed.append("config['dataset']['valset'] = args.valset")
    lines = [
        '"""Adversarial training (PGD-7) of one NAS-Bench architecture, validated with PGD-20 and CW-40 each epoch."""',
        "import argparse", "import os", "import random", "import time", "",
        "import mlconfig", "import numpy as np", "import torch", "from torchprofile import profile_macs", "",
        "import dataset", "import madrys", "import models", "import util", "from evaluator import Evaluator",
        "from trainer import Trainer", "",
        "try:", "    from apex import amp", "    has_apex = True", "except ImportError:", "    has_apex = False", "",
        "mlconfig.register(madrys.MadrysLoss)", "mlconfig.register(dataset.DatasetGenerator)", "",
        "parser = argparse.ArgumentParser(description='RobustArc')",
        *_train_options(code, variant),
        "args = parser.parse_args()",
        *_train_after_parse(code), "",
        "exp_path = args.exp_name",
        "checkpoint_path_file = os.path.join(exp_path, 'checkpoints', args.version)",
        "util.build_dirs(os.path.join(exp_path, 'checkpoints'))",
        "logger = util.setup_logger(name=args.version, log_file=os.path.join(exp_path, args.version) + '.log')",
        *seed,
        "torch.manual_seed(args.seed)", "np.random.seed(args.seed)", "",
        "# apex when asked for and importable; native AMP when asked for or when apex is missing",
        "use_amp = None", "if args.apex_amp and has_apex:", "    use_amp = 'apex'",
        "elif args.native_amp or not has_apex:", "    use_amp = 'native'", "",
        "if torch.cuda.is_available():", "    device = torch.device('cuda')",
        "    device_list = [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]",
        "    logger.info('GPU List: %s' % (device_list))", "else:", "    device = torch.device('cpu')", "",
        "config = mlconfig.load(os.path.join(args.config_path, args.version) + '.yaml')",
        *config_seed,
        "config.save(os.path.join(exp_path, args.version + '.yaml'))",
        "if args.stop_epoch is None:", "    args.stop_epoch = config.epochs",
        *["logger.info(' ### Start to evaluate from {} Epoch ### '.format(config.epochs * args.train_eval_epoch))"] * starts,
        "logger.info(args)", "logger.info(args.seed)",
    ]
    body = "\n".join(lines) + "\n\n" + _whitebox_eval(code) + f'''

def train(starting_epoch, model, optimizer, trainer, evaluator, ENV, data_loader):
    for epoch in range(starting_epoch, config.epochs):
        logger.info('=' * 20 + 'Training Epoch %d' % (epoch) + '=' * 20)
        util.adjust_learning_rate(optimizer, epoch, config)
        ENV['global_step'] = trainer.train(epoch, model, optimizer)
        logger.info('=' * 20 + 'Eval Epoch %d' % (epoch) + '=' * 20)
        evaluator.eval(epoch, model)
        logger.info('Eval Loss:%.4f\\tEval acc: %.2f' % (evaluator.loss_meters.avg, evaluator.acc_meters.avg * 100))
        ENV['eval_history'].append(evaluator.acc_meters.avg * 100)
        ENV['curren_acc'] = evaluator.acc_meters.avg * 100
        is_best = False
        if epoch >= config.epochs * args.train_eval_epoch:
            for param in model.parameters():
                param.requires_grad = False
{_validation(code)}            for param in model.parameters():
                param.requires_grad = True
        target = model.module if args.data_parallel else model
        filename = checkpoint_path_file + '{last}'
        util.save_model(ENV=ENV, epoch=epoch, model=target, optimizer=optimizer, save_best=is_best, filename=filename)
        logger.info('Model Saved at %s\\n', filename)
        if epoch in {extra_epochs}:
            filename = checkpoint_path_file + '{extra}'.format(epoch)
            util.save_model(ENV=ENV, epoch=epoch, model=target, optimizer=optimizer, save_best=False, filename=filename)
            logger.info('Model Saved at %s\\n', filename)
        if epoch + 1 == args.stop_epoch:
            break


def main():
    model = config.model().to(device)
    logger.info(model)
    data_loader = config.dataset().getDataLoader()
    optimizer = config.optimizer(util.weight_decay_groups(model, config))
    if use_amp == 'apex':
        model, optimizer = amp.initialize(model, optimizer, opt_level='O1')
    trainer = Trainer(config.criterion(), data_loader, logger, config, use_amp=use_amp, args=args)
    evaluator = Evaluator(data_loader, logger, config)
    flops = profile_macs(model, (torch.randn([1, 3, 32, 32]).to(device),)) / 1e6
    for key in config:
        logger.info('%s: %s' % (key, config[key]))
    logger.info('param size = %fMB', util.count_parameters_in_MB(model))
    logger.info('flops: %.4fM' % flops)
    logger.info('PyTorch Version: %s' % (torch.__version__))
    if torch.cuda.is_available():
        logger.info('GPU List: %s' % (device_list))
    ENV = util.new_env(flops)
    starting_epoch = 0
    if args.load_model or args.load_best_model:
        filename = checkpoint_path_file + ('_best.pth' if args.load_best_model else '{last}')
        checkpoint = util.load_model(filename=filename, model=model, optimizer=optimizer)
        starting_epoch = checkpoint['epoch'] + 1
        ENV = checkpoint['ENV']
        trainer.global_step = ENV['global_step']
        logger.info('File %s loaded!' % (filename))
    if args.data_parallel:
        model = torch.nn.DataParallel(model).to(device)
    logger.info('Starting Epoch: %d' % (starting_epoch))
    train(starting_epoch, model, optimizer, trainer, evaluator, ENV, data_loader)


if __name__ == '__main__':
    for arg in vars(args):
        logger.info('%s: %s' % (arg, getattr(args, arg)))
    start = time.time()
    main()
    logger.info('Running Cost %.2f Days' % ((time.time() - start) / 86400))
'''
    return body


def trainer_source(code: str) -> str:
    """trainer.py: the training step; how the loss is scaled decides what |gn| means."""
    static = "        self.static_decay = args.static_decay\n" if code in ("T1", "T2") else ""
    teacher = ", teacher_model=None" if code == "T1" else ""
    if code in ("T1", "T2"):
        scale = ("        if self.args.apex_amp:\n"
                 "            with amp.scale_loss(loss, optimizer) as scaled_loss:\n"
                 "                scaled_loss.backward()\n"
                 "        else:\n"
                 "            loss.backward()\n")
    elif code in ("T3", "T4", "T5", "T6"):
        scale = ("        if self.use_amp == 'apex':\n"
                 "            with amp.scale_loss(loss, optimizer) as scaled_loss:\n"
                 "                scaled_loss.backward()\n"
                 "        else:   # the native path runs unscaled here\n"
                 "            loss.backward()\n")
    else:
        scale = ("        if self.use_amp == 'apex':\n"
                 "            with amp.scale_loss(loss, optimizer) as scaled_loss:\n"
                 "                scaled_loss.backward()\n"
                 "        elif self.use_amp == 'native':\n"
                 "            self.amp_scaler.scale(loss).backward()\n"
                 "        else:\n"
                 "            loss.backward()\n")
    nan = ""
    if TRAIN_CODES[code].nan_exit:
        nan = ("        if np.isnan(self.loss_meters.avg):\n"
               "            self.num_nan += 1\n"
               "        if self.num_nan > self.stop_sign:\n"
               "            print('   ### Error: the training loss is NaN, exiting ###   ')\n"
               "            sys.exit(0)\n")
    return f'''"""One epoch of adversarial training; a step line every `log_frequency` steps."""
import sys
import time

import numpy as np
import torch

import util

try:
    from apex import amp
except ImportError:
    amp = None


class Trainer():
    def __init__(self, criterion, data_loader, logger, config, use_amp=None, args=None, global_step=0, stop_sign=100):
        self.criterion = criterion
        self.data_loader = data_loader
        self.logger = logger
        self.config = config
        self.use_amp = use_amp
        self.args = args
        self.amp_scaler = torch.cuda.amp.GradScaler()
        self.global_step = global_step
        self.log_frequency = config.log_frequency
        self.num_nan = 0
        self.stop_sign = stop_sign
        self.loss_meters = util.AverageMeter()
        self.acc_meters = util.AverageMeter()
{static}
    def train(self, epoch, model, optimizer{teacher}):
        model.train()
        for images, labels in self.data_loader['train_dataset']:
            start = time.time()
            payload = self.train_batch(images.cuda(), labels.cuda(), model, optimizer)
            if self.global_step % self.log_frequency == 0:
                self.logger.info(util.log_display(epoch=epoch, global_step=self.global_step,
                                                  time_elapse=time.time() - start, **payload))
            self.global_step += 1
        return self.global_step

    def train_batch(self, images, labels, model, optimizer):
        optimizer.zero_grad()
        with torch.cuda.amp.autocast(enabled=self.use_amp == 'native'):
            logits, loss = self.criterion(model, images, labels, optimizer)
{scale}        grad_norm = torch.nn.utils.clip_grad_norm_(model.parameters(), self.config.grad_clip)
        optimizer.step()
        acc = util.accuracy(logits, labels)
        self.loss_meters.update(loss.item(), labels.shape[0])
        self.acc_meters.update(acc.item(), labels.shape[0])
{nan}        return {{'acc': acc, 'acc_avg': self.acc_meters.avg, 'loss': loss, 'loss_avg': self.loss_meters.avg,
                'lr': optimizer.param_groups[0]['lr'], '|gn|': grad_norm}}
'''


def util_source(code: str) -> str:
    """util.py: meters, the step-line format, checkpoints (the T6 rewrite names the last one `_last`)."""
    best = ("filename.replace('_last.pth', '_best.pth')" if TRAIN_CODES[code].last_checkpoint == "_last.pth"
            else "filename.replace('.pth', '_best.pth')")
    return f'''"""Helpers shared by main.py and trainer.py."""
import logging
import os

import torch


def setup_logger(name, log_file, level=logging.INFO):
    formatter = logging.Formatter('%(asctime)s %(message)s')
    logger = logging.getLogger(name)
    for handler in (logging.FileHandler(log_file), logging.StreamHandler()):
        handler.setFormatter(formatter)
        logger.addHandler(handler)
    logger.setLevel(level)
    return logger


def log_display(epoch, global_step, time_elapse, **kwargs):
    display = 'epoch=' + str(epoch) + '\\tglobal_step=' + str(global_step)
    for key, value in kwargs.items():
        display += '\\t' + str(key) + '=%.4f' % value
    return display + '\\ttime=%.2fit/s' % (1. / time_elapse)


class AverageMeter(object):
    def __init__(self):
        self.sum, self.count, self.avg = 0, 0, 0

    def update(self, val, n=1):
        self.sum += val * n
        self.count += n
        self.avg = self.sum / self.count


def build_dirs(path):
    os.makedirs(path, exist_ok=True)


def save_model(ENV, epoch, model, optimizer, save_best, filename):
    state = {{'ENV': ENV, 'epoch': epoch, 'model_state_dict': model.state_dict(),
             'optimizer_state_dict': optimizer.state_dict()}}
    torch.save(state, filename)
    if save_best:
        torch.save(state, {best})
'''

/* static.c - built with -static by run.sh: a program no LD_PRELOAD library
 * can load in. It allocates and leaks, and prints what it did. */
#include <stdio.h>
#include <stdlib.h>

int main(void)
{
	for (int i = 0; i < 10; i++)
		if (!malloc(4096))
			return 1;
	printf("static: 10 blocks of 4 KiB\n");
	return 0;
}
